package dev.writ.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.writ.server.api.TestDomain;
import dev.writ.server.authz.AuthzRuntime;
import dev.writ.server.gateway.RevocationEvent;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The revocation feed of {@code writ serve}: the store's revocations first, then the bus's, each once. */
class ServerWiringTest {
    @TempDir
    Path tmp;

    @Test
    void theFeedStartsWithEarlierRevocationsAndFollowsTheBus() throws Exception {
        try (TestDomain d = TestDomain.start(tmp.resolve("data"))) {
            String before =
                    d.createAgent("revoked-before").body().path("serial").asText();
            assertThat(d.call("DELETE", "/api/v1/certificates/" + before, d.adminToken, null)
                            .status())
                    .isEqualTo(200);
            String kept = d.createAgent("kept").body().path("serial").asText();

            try (ServerWiring wiring = ServerWiring.open(d.runtime, AuthzRuntime.Options.defaults())) {
                assertThat(wiring.authz()).isPresent();
                List<RevocationEvent> snapshot = wiring.revocations().since(0);
                assertThat(snapshot).hasSize(1);
                assertThat(snapshot.get(0).serial()).isEqualTo(new BigInteger(before, 16));
                assertThat(snapshot.get(0).seq()).isEqualTo(1);
                assertThat(snapshot.get(0).issuer().getName()).contains("Agent");

                List<RevocationEvent> pushed = new CopyOnWriteArrayList<>();
                AutoCloseable sub = wiring.revocations().subscribe(pushed::add);
                assertThat(d.call(
                                        "DELETE",
                                        "/api/v1/certificates/" + kept + "?reason=keyCompromise",
                                        d.adminToken,
                                        null)
                                .status())
                        .isEqualTo(200);
                sub.close();
                assertThat(pushed).hasSize(1);
                assertThat(pushed.get(0).serial()).isEqualTo(new BigInteger(kept, 16));
                assertThat(pushed.get(0).reason()).isEqualTo("keyCompromise");
                assertThat(wiring.revocations().latest()).isEqualTo(2);
                assertThat(wiring.revocations().since(1)).containsExactlyElementsOf(pushed);
            }
        }
    }
}
