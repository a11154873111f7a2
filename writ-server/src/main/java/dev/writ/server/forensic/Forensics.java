package dev.writ.server.forensic;

import dev.writ.server.api.TrustRuntime;
import dev.writ.server.authz.AuthzRuntime;
import dev.writ.server.ca.CaException;
import dev.writ.server.ca.Pem;
import dev.writ.server.ca.SigningLeaf;
import dev.writ.server.ca.TrustDomain;
import dev.writ.server.log.LogException;
import dev.writ.server.log.LogReader;
import dev.writ.server.policy.JdbcPolicyStore;
import dev.writ.server.policy.PolicyDatabase;
import dev.writ.server.policy.PolicyException;
import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.InstantSource;
import java.util.List;
import javax.sql.DataSource;

/** Assembles a {@link ForensicService} on a running server or on a data directory. */
public final class Forensics implements AutoCloseable {
    private final ForensicService service;
    private final LogReader reader;

    private Forensics(ForensicService service, LogReader reader) {
        this.service = service;
        this.reader = reader;
    }

    public ForensicService service() {
        return service;
    }

    /**
     * Forensics on a server's live audit log and state database.
     *
     * @throws ForensicException {@code forensic.unavailable} when the trust domain or the database cannot be read
     */
    public static ForensicService forServer(TrustRuntime rt, AuthzRuntime authz) throws ForensicException {
        try {
            DataSource db = PolicyDatabase.openSqlite(rt.dataDir());
            return new ForensicService(
                    LogSource.of(authz.log()),
                    rt.domain().name(),
                    List.of(root(rt.domain())),
                    logSigner(rt.domain()),
                    new JdbcPolicyStore(db),
                    authz.denialDetails(),
                    InstantSource.system());
        } catch (PolicyException | CertificateException | IOException e) {
            throw new ForensicException(503, "forensic.unavailable", "the trust domain cannot be read", e);
        }
    }

    /**
     * Forensics on a data directory, read-only (the log as of its last flushed checkpoint: a running server's newest
     * entries are seen through {@code --server}).
     *
     * @throws ForensicException {@code forensic.unavailable} when the domain, the log or the database cannot be read
     */
    public static Forensics open(Path dataDir) throws ForensicException {
        LogReader reader = null;
        try {
            TrustDomain domain = TrustDomain.load(dataDir);
            Path logDir = dataDir.resolve("log");
            String key = LogReader.storedKey(logDir);
            reader = LogReader.open(logDir, dev.writ.core.log.NoteVerifier.parse(key));
            DataSource db = PolicyDatabase.openSqlite(dataDir);
            ForensicService s = new ForensicService(
                    LogSource.of(reader, key),
                    domain.name(),
                    List.of(root(domain)),
                    logSigner(domain),
                    new JdbcPolicyStore(db),
                    new DenialDetailStore(db),
                    InstantSource.system());
            return new Forensics(s, reader);
        } catch (CaException
                | LogException
                | PolicyException
                | CertificateException
                | IOException
                | dev.writ.core.log.LogVerificationException e) {
            if (reader != null) {
                try {
                    reader.close();
                } catch (IOException ignored) {
                    // already failing
                }
            }
            throw new ForensicException(
                    503,
                    "forensic.unavailable",
                    "cannot read the trust domain in " + dataDir + ": " + e.getMessage(),
                    e);
        }
    }

    private static X509Certificate root(TrustDomain domain) throws CertificateException, IOException {
        return Pem.x509(domain.root().getEncoded());
    }

    private static List<X509Certificate> logSigner(TrustDomain domain) throws CertificateException, IOException {
        SigningLeaf audit = domain.auditSigning();
        return List.of(
                Pem.x509(audit.certificate().getEncoded()),
                Pem.x509(domain.ca(audit.issuer()).certificate().getEncoded()));
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
