package dev.writ.server.authz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writ.server.api.TestDomain;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Invariant 3 and fail closed: when the audit log cannot append, nothing is released, and nothing is an allow. */
class AuthorizeLogFailureTest {
    @TempDir
    Path tmp;

    @Test
    void aLogThatCannotAppendFailsTheAuthorizeAndReleasesNoEnvelope() throws Exception {
        try (AuthzFixture f = new AuthzFixture(tmp.resolve("data"))) {
            AuthzFixture.Agent agent = f.agent("a");
            String allow = AuthzFixture.purchaseOrder(50_000, "acme-supplies", "");
            String deny = AuthzFixture.purchaseOrder(50_000, "evil-corp", "");
            String pending = AuthzFixture.purchaseOrder(2_000_000, "globex", "");
            assertThat(f.authorize(agent.credential(), allow).status()).isEqualTo(200);

            f.authz.log().close();

            for (String body : new String[] {allow, deny, pending}) {
                TestDomain.Resp r = f.authorize(agent.credential(), body);
                assertThat(r.status()).as(r.body().toString()).isEqualTo(503);
                assertThat(r.errorCode()).isEqualTo("authorize.unavailable");
                assertThat(r.body().has("sae")).isFalse();
                assertThat(r.body().has("denial")).isFalse();
                assertThat(r.body().has("approval_id")).isFalse();
            }
            assertThat(f.authz.approvals().list(null, 10)).isEmpty();
        }
    }
}
