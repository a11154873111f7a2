package dev.writ.server.policy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.server.events.EventSink;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Publishes and activates policy bundles.
 *
 * <ul>
 *   <li>{@link #push}: validate against the schema → hash → sign (policy-signing key, through custody) → store as a new
 *       immutable version, recording {@code policy.published} before the store commits.
 *   <li>{@link #activate}: re-verify the stored version (signature chain to the policy CA, hash, schema validation),
 *       then append an activation, recording {@code policy.activated} before the store commits.
 *   <li>{@link #rollback}: activate the version that was active before the current one.
 * </ul>
 *
 * Every failure is a {@link PolicyException} and leaves the active version unchanged.
 */
public final class PolicyService {
    private final PolicyStore store;
    private final BundleVerifier verifier;
    private final PolicySigningIdentity signer;
    private final EventSink events;
    private final InstantSource clock;

    /**
     * @param signer the policy-signing identity, or {@code null} for a service that can activate but not push
     */
    public PolicyService(
            PolicyStore store,
            BundleVerifier verifier,
            PolicySigningIdentity signer,
            EventSink events,
            InstantSource clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.verifier = Objects.requireNonNull(verifier, "verifier");
        this.signer = signer;
        this.events = Objects.requireNonNull(events, "events");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Validates, hashes, signs and stores a bundle as a new version.
     *
     * @throws PolicyException {@code policy.invalid_bundle}, {@code policy.syntax}, {@code policy.schema} (the bundle
     *     is refused), {@code policy.no_identity} (no signing identity), {@code policy.signature} (custody refused to
     *     sign), {@code policy.event}, {@code policy.storage}
     */
    public PolicyStore.StoredBundle push(BundleFiles files) throws PolicyException {
        CompiledBundle compiled = CompiledBundle.compile(files);
        if (signer == null) {
            throw new PolicyException("policy.no_identity", "no policy-signing identity is configured");
        }
        String statement = BundleSigner.sign(compiled, signer, clock.instant());
        // Check our own signature before storing: a misconfigured identity must not produce unloadable versions.
        verifier.verify(files, statement);
        PolicyStore.NewBundle nb =
                new PolicyStore.NewBundle(compiled.manifest(), compiled.hash(), files.encoded(), statement);
        return store.push(nb, clock.instant(), stored -> {
            ObjectNode body = JsonNodeFactory.instance.objectNode();
            body.put("version", stored.version());
            body.set("bundle", compiled.manifest().toJson());
            body.put("hash", stored.hash());
            body.put("statement", statement);
            record("policy.published", body);
        });
    }

    /** The result of an activation: the history entry and the verified bundle now active. */
    public record Activated(PolicyStore.Activation activation, VerifiedBundle bundle) {}

    /**
     * Re-verifies a stored version and makes it the active one.
     *
     * @throws PolicyException {@code policy.unknown_version}, {@code policy.signature}, {@code policy.hash_mismatch},
     *     {@code policy.syntax}, {@code policy.schema}, {@code policy.invalid_bundle}, {@code policy.event},
     *     {@code policy.storage}
     */
    public Activated activate(long version) throws PolicyException {
        PolicyStore.StoredBundle stored = store.get(version)
                .orElseThrow(() -> new PolicyException("policy.unknown_version", "no policy version " + version));
        VerifiedBundle verified = verify(stored);
        Optional<PolicyStore.Activation> previous = store.active();
        PolicyStore.Activation a = store.activate(version, clock.instant(), act -> {
            ObjectNode body = JsonNodeFactory.instance.objectNode();
            body.put("version", version);
            body.put("hash", verified.hash());
            body.put("sequence", act.sequence());
            if (previous.isPresent()) {
                body.put("previous", previous.get().version());
            } else {
                body.putNull("previous");
            }
            record("policy.activated", body);
        });
        return new Activated(a, verified);
    }

    /**
     * Activates the version that was active before the current one.
     *
     * @throws PolicyException {@code policy.unknown_version} when there is nothing to roll back to, or any error of
     *     {@link #activate}
     */
    public Activated rollback() throws PolicyException {
        List<PolicyStore.Activation> history = store.history();
        if (history.isEmpty()) {
            throw new PolicyException("policy.unknown_version", "no version was ever activated");
        }
        long current = history.get(history.size() - 1).version();
        for (int i = history.size() - 2; i >= 0; i--) {
            if (history.get(i).version() != current) {
                return activate(history.get(i).version());
            }
        }
        throw new PolicyException("policy.unknown_version", "no earlier version to roll back to");
    }

    /** Every version, oldest first. */
    public List<PolicyStore.PolicyVersion> list() throws PolicyException {
        return store.list();
    }

    /**
     * One stored version.
     *
     * @throws PolicyException {@code policy.unknown_version} when there is no such version
     */
    public PolicyStore.StoredBundle show(long version) throws PolicyException {
        return store.get(version)
                .orElseThrow(() -> new PolicyException("policy.unknown_version", "no policy version " + version));
    }

    /** The active version, if any. */
    public Optional<PolicyStore.Activation> active() throws PolicyException {
        return store.active();
    }

    /**
     * The active version, verified again (for a PDP starting up).
     *
     * @throws PolicyException when the active version no longer verifies
     */
    public Optional<VerifiedBundle> loadActive() throws PolicyException {
        Optional<PolicyStore.Activation> a = store.active();
        if (a.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(verify(show(a.get().version())));
    }

    private VerifiedBundle verify(PolicyStore.StoredBundle stored) throws PolicyException {
        BundleFiles files = BundleFiles.decode(stored.content());
        // The stored hash column must agree with the content as well as the signature does.
        if (!files.hash().equals(stored.hash())) {
            throw new PolicyException(
                    "policy.hash_mismatch", "stored version " + stored.version() + " does not match its hash");
        }
        return verifier.verify(files, stored.statement());
    }

    private void record(String type, ObjectNode body) throws PolicyException {
        try {
            events.record(type, body);
        } catch (EventSink.EventException e) {
            throw new PolicyException("policy.event", "the " + type + " event could not be recorded", e);
        }
    }
}
