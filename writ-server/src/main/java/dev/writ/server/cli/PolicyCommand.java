package dev.writ.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.server.events.EventSink;
import dev.writ.server.policy.BundleFiles;
import dev.writ.server.policy.BundleTests;
import dev.writ.server.policy.BundleVerifier;
import dev.writ.server.policy.JdbcPolicyStore;
import dev.writ.server.policy.PolicyDatabase;
import dev.writ.server.policy.PolicyException;
import dev.writ.server.policy.PolicyService;
import dev.writ.server.policy.PolicySigningIdentity;
import dev.writ.server.policy.PolicyStore;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code writ policy test|push|list|show|activate|rollback}: policy bundles on the local data directory.
 *
 * <p>{@code test} runs a bundle's own test cases offline. The other subcommands work on {@code <data>/writ.db}; push and
 * activate need the trust domain's policy-signing identity and policy CA, supplied through {@link Wiring}.
 *
 * <p>Exit codes: 0 success; 1 a test case failed or a stored version failed verification on activation; 2 a bad
 * bundle, an unknown version or another input error.
 */
@Command(
        name = "policy",
        mixinStandardHelpOptions = true,
        description = "Policy bundles: test, push, list, show, activate, rollback.")
public final class PolicyCommand implements Runnable {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Set<String> VERIFICATION_CODES =
            Set.of("policy.signature", "policy.hash_mismatch", "policy.syntax", "policy.schema");

    /** What the trust domain supplies to the policy commands. */
    public interface Wiring {
        /** The policy-signing key (in custody) and its chain. */
        PolicySigningIdentity signingIdentity(Path dataDir) throws PolicyException;

        /** The policy-signing CA certificate, the trust anchor of bundles. */
        X509Certificate policyCa(Path dataDir) throws PolicyException;

        /** Where {@code policy.published} and {@code policy.activated} go. */
        EventSink events(Path dataDir) throws PolicyException;

        /** A wiring for a data directory without a trust domain: {@code test}, {@code list}, {@code show} work. */
        Wiring NONE = new Wiring() {
            @Override
            public PolicySigningIdentity signingIdentity(Path dataDir) throws PolicyException {
                throw new PolicyException("policy.no_identity", "no trust domain: run writ init first");
            }

            @Override
            public X509Certificate policyCa(Path dataDir) throws PolicyException {
                throw new PolicyException("policy.no_identity", "no trust domain: run writ init first");
            }

            @Override
            public EventSink events(Path dataDir) throws PolicyException {
                throw new PolicyException("policy.no_identity", "no trust domain: run writ init first");
            }
        };
    }

    private final Wiring wiring;
    private final InstantSource clock;

    @Spec
    CommandSpec spec;

    public PolicyCommand() {
        this(Wiring.NONE, InstantSource.system());
    }

    public PolicyCommand(Wiring wiring, InstantSource clock) {
        this.wiring = wiring;
        this.clock = clock;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "test", description = "Run the test cases a bundle ships in tests/*.json (offline).")
    int test(@Mixin GlobalOptions global, @Parameters(paramLabel = "DIR", description = "Bundle directory.") Path dir) {
        List<BundleTests.CaseResult> results;
        BundleFiles files;
        try {
            files = BundleFiles.read(dir);
            results = BundleTests.run(files);
        } catch (PolicyException e) {
            return fail(global, e, ExitCodes.USAGE);
        }
        long failed = results.stream().filter(r -> !r.passed()).count();
        PrintWriter out = out();
        if (global.json()) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("bundle", files.hash());
            o.put("passed", results.size() - failed);
            o.put("failed", failed);
            ArrayNode cases = o.putArray("cases");
            for (BundleTests.CaseResult r : results) {
                ObjectNode c = cases.addObject();
                c.put("file", r.file());
                c.put("name", r.name());
                c.put("passed", r.passed());
                c.put("expected", r.expected());
                c.put("actual", BundleTests.kind(r.actual()));
                ArrayNode reasons = c.putArray("reasons");
                BundleTests.reasons(r.actual()).forEach(reasons::add);
            }
            print(o);
        } else {
            for (BundleTests.CaseResult r : results) {
                out.printf(
                        "%s  %s: %s%n",
                        r.passed() ? "PASS" : "FAIL",
                        r.file(),
                        r.name()
                                + (r.passed()
                                        ? ""
                                        : " (expected " + r.expected()
                                                + (r.expectedReasons() == null ? "" : " " + r.expectedReasons())
                                                + ", got " + BundleTests.kind(r.actual()) + " "
                                                + BundleTests.reasons(r.actual()) + ")"));
            }
            out.printf("%d passed, %d failed (bundle %s)%n", results.size() - failed, failed, files.hash());
            out.flush();
        }
        return failed == 0 ? ExitCodes.OK : ExitCodes.FALSE;
    }

    @Command(name = "push", description = "Validate, hash, sign and store a bundle as a new version.")
    int push(
            @Mixin GlobalOptions global,
            @Option(
                            names = "--token",
                            paramLabel = "TOKEN",
                            description = "With --server: operator token (default: $WRIT_TOKEN).")
                    String token,
            @Parameters(paramLabel = "DIR", description = "Bundle directory.") Path dir) {
        try {
            BundleFiles files = BundleFiles.read(dir);
            if (global.serverUrl() != null) {
                // A running server holds the audit log: push through it, so it signs and logs the new version.
                ObjectNode body = JsonNodeFactory.instance.objectNode();
                ObjectNode f = body.putObject("files");
                for (String path : files.paths()) {
                    f.put(path, java.util.Base64.getEncoder().encodeToString(files.get(path)));
                }
                JsonNode n = remote(global, token).call("POST", "/api/v1/policies", body);
                if (global.json()) {
                    print((ObjectNode) n);
                } else {
                    out().printf(
                                    "pushed version %d (%s)%n",
                                    n.path("version").asLong(), n.path("hash").asText());
                    out().flush();
                }
                return ExitCodes.OK;
            }
            PolicyStore.StoredBundle s = service(global, true).push(files);
            ObjectNode o = version(s.meta());
            if (global.json()) {
                print(o);
            } else {
                out().printf("pushed version %d (%s)%n", s.version(), s.hash());
                out().flush();
            }
            return ExitCodes.OK;
        } catch (PolicyException e) {
            return fail(global, e, ExitCodes.USAGE);
        }
    }

    @Command(name = "list", description = "List stored versions; * marks the active one.")
    int list(@Mixin GlobalOptions global) {
        try {
            PolicyStore store = new JdbcPolicyStore(PolicyDatabase.openSqlite(global.dataDir()));
            Optional<PolicyStore.Activation> active = store.active();
            long activeVersion = active.map(PolicyStore.Activation::version).orElse(-1L);
            List<PolicyStore.PolicyVersion> versions = store.list();
            if (global.json()) {
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                if (active.isPresent()) {
                    o.put("active", activeVersion);
                } else {
                    o.putNull("active");
                }
                ArrayNode arr = o.putArray("versions");
                versions.forEach(v -> arr.add(version(v)));
                print(o);
            } else {
                PrintWriter out = out();
                for (PolicyStore.PolicyVersion v : versions) {
                    out.printf(
                            "%s %4d  %s %s  %s  %s%n",
                            v.version() == activeVersion ? "*" : " ",
                            v.version(),
                            v.manifest().name(),
                            v.manifest().version(),
                            v.hash(),
                            v.createdAt());
                }
                out.flush();
            }
            return ExitCodes.OK;
        } catch (PolicyException e) {
            return fail(global, e, ExitCodes.USAGE);
        }
    }

    @Command(name = "show", description = "Show one stored version: manifest, hash, files.")
    int show(@Mixin GlobalOptions global, @Parameters(paramLabel = "VERSION") long version) {
        try {
            PolicyStore store = new JdbcPolicyStore(PolicyDatabase.openSqlite(global.dataDir()));
            PolicyStore.StoredBundle s = store.get(version)
                    .orElseThrow(() -> new PolicyException("policy.unknown_version", "no policy version " + version));
            BundleFiles files = BundleFiles.decode(s.content());
            ObjectNode o = version(s.meta());
            ArrayNode paths = o.putArray("files");
            files.paths().forEach(paths::add);
            o.put("statement", s.statement());
            if (global.json()) {
                print(o);
            } else {
                PrintWriter out = out();
                out.printf("version:     %d%n", s.version());
                out.printf(
                        "name:        %s %s%n",
                        s.meta().manifest().name(), s.meta().manifest().version());
                out.printf("description: %s%n", s.meta().manifest().description());
                out.printf("hash:        %s%n", s.hash());
                out.printf("created:     %s%n", s.meta().createdAt());
                out.printf("files:       %s%n", String.join(", ", files.paths()));
                out.flush();
            }
            return ExitCodes.OK;
        } catch (PolicyException e) {
            return fail(global, e, ExitCodes.USAGE);
        }
    }

    @Command(name = "activate", description = "Verify a stored version again and make it active.")
    int activate(
            @Mixin GlobalOptions global,
            @Option(
                            names = "--token",
                            paramLabel = "TOKEN",
                            description = "With --server: operator token (default: $WRIT_TOKEN).")
                    String token,
            @Parameters(paramLabel = "VERSION") long version) {
        if (global.serverUrl() != null) {
            JsonNode n = remote(global, token)
                    .call("POST", "/api/v1/policies/" + version + "/activate", JsonNodeFactory.instance.objectNode());
            if (global.json()) {
                print((ObjectNode) n);
            } else {
                out().printf(
                                "activated version %d (%s)%n",
                                n.path("version").asLong(), n.path("hash").asText());
                out().flush();
            }
            return ExitCodes.OK;
        }
        try {
            return activated(global, service(global, false).activate(version));
        } catch (PolicyException e) {
            return fail(global, e, VERIFICATION_CODES.contains(e.code()) ? ExitCodes.FALSE : ExitCodes.USAGE);
        }
    }

    @Command(name = "rollback", description = "Activate the version that was active before the current one.")
    int rollback(@Mixin GlobalOptions global) {
        try {
            return activated(global, service(global, false).rollback());
        } catch (PolicyException e) {
            return fail(global, e, VERIFICATION_CODES.contains(e.code()) ? ExitCodes.FALSE : ExitCodes.USAGE);
        }
    }

    private int activated(GlobalOptions global, PolicyService.Activated a) {
        if (global.json()) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("active", a.activation().version());
            o.put("hash", a.bundle().hash());
            o.put("sequence", a.activation().sequence());
            print(o);
        } else {
            out().printf(
                            "activated version %d (%s)%n",
                            a.activation().version(), a.bundle().hash());
            out().flush();
        }
        return ExitCodes.OK;
    }

    private PolicyService service(GlobalOptions global, boolean signing) throws PolicyException {
        Path data = global.dataDir();
        PolicyStore store = new JdbcPolicyStore(PolicyDatabase.openSqlite(data));
        BundleVerifier verifier = new BundleVerifier(wiring.policyCa(data), clock);
        return new PolicyService(
                store, verifier, signing ? wiring.signingIdentity(data) : null, wiring.events(data), clock);
    }

    private static ObjectNode version(PolicyStore.PolicyVersion v) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("version", v.version());
        o.put("name", v.manifest().name());
        o.put("label", v.manifest().version());
        o.put("description", v.manifest().description());
        o.put("hash", v.hash());
        o.put("created", v.createdAt().toString());
        return o;
    }

    private static ApiClient remote(GlobalOptions global, String token) {
        return new ApiClient(global.serverUrl(), token != null ? token : System.getenv("WRIT_TOKEN"));
    }

    private int fail(GlobalOptions global, PolicyException e, int exit) {
        if (global.json()) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            ObjectNode err = o.putObject("error");
            err.put("code", e.code());
            err.put("message", e.getMessage());
            print(o);
        } else {
            PrintWriter err = spec.commandLine().getErr();
            err.printf("error: %s: %s%n", e.code(), e.getMessage());
            err.flush();
        }
        return exit;
    }

    private PrintWriter out() {
        return spec.commandLine().getOut();
    }

    private void print(ObjectNode o) {
        try {
            PrintWriter out = out();
            out.println(JSON.writeValueAsString(o));
            out.flush();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new CommandLine.ExecutionException(spec.commandLine(), "cannot write JSON", e);
        }
    }
}
