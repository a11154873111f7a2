package dev.writ.server.cli;

import dev.writ.server.ca.CaException;
import dev.writ.server.ca.CaName;
import dev.writ.server.ca.CustodyConfig;
import dev.writ.server.ca.DomainCeremony;
import dev.writ.server.ca.TrustDomain;
import dev.writ.server.custody.KeyCustody;
import dev.writ.server.store.SqliteStore;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code writ ca ...}: CA ceremonies, the only commands that open the sealed root key. */
@Command(name = "ca", description = "CA ceremonies (open the sealed root key).", subcommands = CaCommand.Reissue.class)
public final class CaCommand implements Runnable {
    @Override
    public void run() {
        throw CliError.usage("usage: writ ca reissue <agents|policy|audit>");
    }

    @Command(
            name = "reissue",
            description = "Re-issue an intermediate CA (new key in custody, new certificate from the root). Restart"
                    + " writ serve afterwards.")
    public static final class Reissue implements Callable<Integer> {
        @Mixin
        GlobalOptions global;

        @Parameters(index = "0", paramLabel = "CA", description = "agents, policy or audit")
        String ca;

        @Option(names = "--root-passphrase-file", paramLabel = "FILE", description = "File with the root passphrase.")
        Path passphraseFile;

        @Override
        public Integer call() throws Exception {
            CaName name = CaName.parse(ca)
                    .filter(c -> c != CaName.ROOT)
                    .orElseThrow(() -> CliError.usage("CA must be agents, policy or audit"));
            Path data = global.dataDir();
            TrustDomain domain;
            try {
                domain = TrustDomain.load(data);
            } catch (CaException e) {
                throw CliError.usage(e.getMessage());
            }
            char[] passphrase = Passphrases.root(passphraseFile, false);
            SecureRandom random = new SecureRandom();
            try (KeyCustody keys = CustodyConfig.open(data, domain.custody(), System.getenv(), random);
                    SqliteStore store = SqliteStore.open(data.resolve("writ.db"))) {
                TrustDomain updated =
                        DomainCeremony.reissue(data, name, keys, store, passphrase, InstantSource.system(), random);
                var cert = updated.ca(name).certificate();
                if (global.json()) {
                    System.out.println("{\"ca\":\"" + name.id() + "\",\"serial\":\""
                            + cert.getSerialNumber().toString(16) + "\",\"not_after\":\""
                            + cert.getNotAfter().toInstant() + "\"}");
                } else {
                    System.out.println("Re-issued the " + name.id() + " CA: serial "
                            + cert.getSerialNumber().toString(16) + ", valid until "
                            + cert.getNotAfter().toInstant());
                    System.out.println("Restart writ serve to use it.");
                }
                return ExitCodes.OK;
            } catch (CaException e) {
                throw new CliError(e.kind() == CaException.Kind.INTERNAL ? 1 : ExitCodes.USAGE, e.getMessage());
            } finally {
                Arrays.fill(passphrase, '\0');
            }
        }
    }
}
