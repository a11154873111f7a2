package dev.writ.server.log;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;

/** The shared log contract against the file-backed {@link AuditLog}. */
class AuditLogContractTest extends TransparencyLogContract {
    @TempDir
    Path dir;

    @Override
    protected TransparencyLog open() throws Exception {
        return AuditLog.open(dir, SIGNER);
    }

    @Override
    protected List<String> crashChildArgs() {
        return List.of("file", dir.toString());
    }
}
