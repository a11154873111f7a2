package dev.writ.server.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.server.ca.CaException;
import dev.writ.server.ca.CaName;
import dev.writ.server.ca.CustodyConfig;
import dev.writ.server.ca.DomainCeremony;
import dev.writ.server.ca.TrustDomain;
import dev.writ.server.cluster.SharedFiles;
import dev.writ.server.custody.KeyCustody;
import dev.writ.server.store.SqliteStore;
import dev.writ.server.store.Store;
import dev.writ.server.store.StoreException;
import dev.writ.server.store.postgres.PostgresStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code writ init}: creates a trust domain in the data directory. */
@Command(
        name = "init",
        description = "Create a trust domain: sealed root CA, intermediates, OCSP responders, signing certificates and"
                + " a bootstrap admin token (printed once).")
public final class InitCommand implements Callable<Integer> {
    @Mixin
    GlobalOptions global;

    @Mixin
    NodeConfig.Flags backends;

    @Option(
            names = "--trust-domain",
            defaultValue = "writ.local",
            description = "Trust domain name (default: ${DEFAULT-VALUE}).")
    String trustDomain;

    @Option(
            names = "--public-url",
            defaultValue = "http://127.0.0.1:7070",
            description = "Base URL written into certificates (OCSP, CRL, CA URLs) (default: ${DEFAULT-VALUE}).")
    String publicUrl;

    @Option(
            names = "--tenant",
            defaultValue = "default",
            description = "A first tenant to create (default: ${DEFAULT-VALUE}).")
    String tenant;

    @Option(
            names = "--custody",
            defaultValue = "software",
            description = "Key custody: software or pkcs11 (default: ${DEFAULT-VALUE}).")
    String custody;

    @Option(names = "--pkcs11-library", paramLabel = "FILE", description = "PKCS#11 module (with --custody pkcs11).")
    Path pkcs11Library;

    @Option(names = "--pkcs11-slot", paramLabel = "ID", description = "PKCS#11 slot id (with --custody pkcs11).")
    Long pkcs11Slot;

    @Option(
            names = "--pkcs11-pin-env",
            paramLabel = "NAME",
            description = "Environment variable holding the PKCS#11 user PIN (default: WRIT_PKCS11_PIN).")
    String pkcs11PinEnv;

    @Option(names = "--pkcs11-pin-file", paramLabel = "FILE", description = "File holding the PKCS#11 user PIN.")
    Path pkcs11PinFile;

    @Option(
            names = "--root-passphrase-file",
            paramLabel = "FILE",
            description = "File with the root passphrase (else $WRIT_ROOT_PASSPHRASE, else a prompt).")
    Path passphraseFile;

    @Override
    public Integer call() throws Exception {
        Path data = global.dataDir();
        if (TrustDomain.exists(data)) {
            // Refuse before touching anything.
            throw CliError.usage("a trust domain already exists in " + data);
        }
        ObjectNode custodyConfig =
                switch (custody) {
                    case "software" -> CustodyConfig.software();
                    case "pkcs11" -> {
                        if (pkcs11Library == null || pkcs11Slot == null) {
                            throw CliError.usage("--custody pkcs11 needs --pkcs11-library and --pkcs11-slot");
                        }
                        yield CustodyConfig.pkcs11(pkcs11Library, pkcs11Slot, pkcs11PinEnv, pkcs11PinFile);
                    }
                    default -> throw CliError.usage("--custody must be software or pkcs11");
                };
        boolean fresh = !Files.exists(data) || isEmpty(data);
        if (!fresh) {
            throw CliError.usage("the data directory " + data + " is not empty");
        }
        NodeConfig config = NodeConfig.resolve(backends, null, System.getenv());
        if (backends.redis != null || backends.redisPasswordFile != null) {
            // Refused rather than ignored: the domain's state goes to --db; Redis only matters to running nodes.
            throw CliError.usage("writ init does not use Redis (give --redis to writ serve and writ gateway)");
        }
        PostgresStore postgres = null;
        if (config.db() != null) {
            postgres = NodeBackends.openPostgres(config);
            try {
                // One trust domain per database: a second init would fork the nodes' view of the domain.
                if (new SharedFiles(postgres.dataSource(), InstantSource.system()).hasDomain()) {
                    throw CliError.usage("a trust domain already exists in PostgreSQL at " + postgres.describe());
                }
            } catch (java.sql.SQLException e) {
                postgres.close();
                throw new CliError(1, "cannot read PostgreSQL at " + postgres.describe());
            } catch (CliError e) {
                postgres.close();
                throw e;
            }
        }
        char[] passphrase;
        try {
            passphrase = Passphrases.root(passphraseFile, true);
        } catch (RuntimeException e) {
            if (postgres != null) {
                postgres.close();
            }
            throw e;
        }
        SecureRandom random = new SecureRandom();
        boolean ok = false;
        try {
            Files.createDirectories(data);
            DomainCeremony.InitResult result;
            try (KeyCustody keys = CustodyConfig.create(data, custodyConfig, System.getenv(), random);
                    Store store = postgres != null ? postgres : SqliteStore.open(data.resolve("writ.db"))) {
                result = DomainCeremony.init(
                        data,
                        trustDomain,
                        publicUrl,
                        keys,
                        custodyConfig,
                        store,
                        passphrase,
                        tenant,
                        InstantSource.system(),
                        random);
                if (postgres != null) {
                    // Every node reads the domain's public files and sealed keys from the database from now on.
                    new SharedFiles(postgres.dataSource(), InstantSource.system()).publish(data);
                }
            }
            ok = true;
            print(result);
            return ExitCodes.OK;
        } catch (CaException e) {
            throw new CliError(e.kind() == CaException.Kind.INTERNAL ? 1 : ExitCodes.USAGE, e.getMessage());
        } catch (StoreException e) {
            throw new CliError(1, "cannot create the database: " + e.getMessage());
        } catch (java.sql.SQLException e) {
            throw new CliError(
                    1,
                    "cannot store the trust domain in PostgreSQL: "
                            + e.getClass().getSimpleName());
        } finally {
            if (postgres != null) {
                postgres.close();
            }
            Arrays.fill(passphrase, '\0');
            if (!ok) {
                // All or nothing: a failed init leaves the directory as empty as it found it.
                deleteTree(data);
            }
        }
    }

    private void print(DomainCeremony.InitResult r) throws IOException {
        TrustDomain d = r.domain();
        if (global.json()) {
            ObjectMapper json = new ObjectMapper();
            ObjectNode n = json.createObjectNode();
            n.put("trust_domain", d.name());
            n.put("data", global.dataDir().toString());
            n.put("public_url", d.publicUrl());
            n.put("root_algorithm", d.rootAlgorithm().name());
            n.put("admin_token", r.bootstrapToken());
            System.out.println(json.writeValueAsString(n));
            return;
        }
        System.out.println("Created trust domain " + d.name() + " in " + global.dataDir());
        System.out.println("  root CA:   " + d.root().getSubject() + " (" + d.rootAlgorithm() + ", sealed)");
        for (CaName c : new CaName[] {CaName.AGENTS, CaName.POLICY, CaName.AUDIT}) {
            System.out.println("  " + c.id() + " CA: " + d.ca(c).certificate().getSubject());
        }
        System.out.println("  public URL: " + d.publicUrl());
        System.out.println();
        System.out.println("Admin token (shown once; store it safely):");
        System.out.println(r.bootstrapToken());
    }

    private static boolean isEmpty(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).filter(p -> !p.equals(dir)).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
