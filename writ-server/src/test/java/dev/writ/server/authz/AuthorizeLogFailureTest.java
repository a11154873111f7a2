package dev.writ.server.authz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writ.server.api.TestDomain;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariants 1 and 3: when the audit log cannot append, nothing is released and nothing is an allow; without an
 * active policy everything is denied.
 */
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

    @Test
    void withoutAnActivePolicyEverythingIsDeniedUntilOneIsActivated() throws Exception {
        try (TestDomain d = TestDomain.start(tmp.resolve("bare"));
                AuthzRuntime authz = AuthzRuntime.open(d.runtime, AuthzRuntime.Options.defaults())) {
            authz.mountOn(d.server);
            TestDomain.Resp reg = d.call(
                    "POST",
                    "/api/v1/agents",
                    d.adminToken,
                    "{\"tenant\":\"acme\",\"name\":\"n\",\"scope\":" + AuthzFixture.SCOPE + "}");
            String cred = reg.body().path("credential").asText();
            String body = AuthzFixture.purchaseOrder(50_000, "globex", "");
            TestDomain.Resp r = d.call("POST", "/v1/authorize", cred, body);
            assertThat(r.status()).isEqualTo(403);
            assertThat(r.body().path("code").asText()).isEqualTo("denied");
            assertThat(AuthzFixture.payload(r.body().path("denial").asText())
                            .path("pol")
                            .asText())
                    .isEqualTo("none");

            AuthzFixture.activateProcurement(d);
            assertThat(authz.reloadPolicy()).isTrue();
            assertThat(authz.reloadPolicy()).isFalse();
            assertThat(d.call("POST", "/v1/authorize", cred, body).status()).isEqualTo(200);
        }
    }
}
