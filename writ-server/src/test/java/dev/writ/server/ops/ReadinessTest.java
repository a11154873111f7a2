package dev.writ.server.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writ.server.api.TestDomain;
import dev.writ.server.authz.AuthzRuntime;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /readyz} follows the audit log: a server whose log refuses appends is taken out of rotation. */
class ReadinessTest {
    @TempDir
    Path tmp;

    @Test
    void notReadyOnceTheLogRefusesAppends() throws Exception {
        try (TestDomain d = TestDomain.start(tmp.resolve("data"))) {
            AuthzRuntime authz = AuthzRuntime.open(d.runtime, AuthzRuntime.Options.defaults());
            try {
                authz.mountOn(d.server);
                assertThat(d.call("GET", "/readyz", null, null).status()).isEqualTo(200);
                assertThat(d.call("GET", "/healthz", null, null).status()).isEqualTo(200);
            } finally {
                authz.close();
            }
            TestDomain.Resp closed = d.call("GET", "/readyz", null, null);
            assertThat(closed.status()).isEqualTo(503);
            assertThat(closed.errorCode()).isEqualTo("server.not_ready");
            // Liveness is not readiness: the process still answers.
            assertThat(d.call("GET", "/healthz", null, null).status()).isEqualTo(200);
        }
    }
}
