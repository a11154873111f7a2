package dev.writ.server.policy;

import dev.writ.server.cli.PolicyCommand;
import dev.writ.server.events.EventSink;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;

/** Test fixtures for the policy command, from outside the package. */
public final class PolicyCliFixtures {
    private PolicyCliFixtures() {}

    /** The procurement bundle's files. */
    public static Map<String, byte[]> procurement() {
        return Bundles.procurement();
    }

    /** A test trust domain: policy CA, a signing identity under it, and an event recorder. */
    public static final class Domain implements PolicyCommand.Wiring {
        private final TestPki pki = TestPki.create("policy CA");
        private final PolicySigningIdentity identity = pki.identity();
        private final RecordingEvents events = new RecordingEvents();

        @Override
        public PolicySigningIdentity signingIdentity(Path dataDir) {
            return identity;
        }

        @Override
        public X509Certificate policyCa(Path dataDir) {
            return pki.ca;
        }

        @Override
        public EventSink events(Path dataDir) {
            return events;
        }

        public List<String> eventTypes() {
            return events.types();
        }
    }

    public static java.time.Instant now() {
        return TestPki.NOW;
    }
}
