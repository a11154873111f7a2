package dev.writ.server.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.action.HttpBinding;
import dev.writ.core.nonce.FileNonceStore;
import dev.writ.core.nonce.NonceStoreException;
import dev.writ.core.revocation.InMemoryRevocationSource;
import dev.writ.core.sae.SaeVerificationException;
import dev.writ.core.sae.SaeVerifier;
import dev.writ.core.sae.VerifiedAction;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.InstantSource;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code writ verify}: offline verification of a Signed Action Envelope against a trust bundle, with every check a PEP
 * runs (chain, stapled OCSP, signature, time, scope; request binding when {@code --method/--url/--body} are given).
 * The replay check needs state, so it runs only with {@code --nonce-journal}; without it an envelope can be inspected
 * any number of times. Exit 0 valid, 1 invalid (with the reason code), 2 usage or input error.
 */
@Command(
        name = "verify",
        mixinStandardHelpOptions = true,
        description = "Verify a Signed Action Envelope offline (exit 0 valid, 1 invalid, 2 usage or input error).")
public final class VerifyCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    GlobalOptions global;

    @Spec
    CommandSpec spec;

    @Parameters(
            index = "0",
            arity = "0..1",
            paramLabel = "FILE",
            description = "File holding the compact envelope; '-' or absent: standard input.")
    String input;

    @Option(
            names = "--trust-bundle",
            required = true,
            paramLabel = "FILE",
            description = "PEM file with the trusted CA certificates (for example GET /trust-bundle.pem).")
    Path trustBundle;

    @Option(
            names = "--at",
            paramLabel = "TIME",
            description = "Verify as of this instant (ISO 8601 such as 2026-03-02T10:00:05Z, or epoch seconds);"
                    + " default: now.")
    String at;

    @Option(names = "--method", paramLabel = "METHOD", description = "Bind to this request method.")
    String method;

    @Option(names = "--url", paramLabel = "URL", description = "Bind to this request URL.")
    String url;

    @Option(names = "--body", paramLabel = "FILE", description = "Bind to this request body (file, exact bytes).")
    Path body;

    @Option(
            names = "--nonce-journal",
            paramLabel = "FILE",
            description = "Record the envelope's jti in this journal and refuse replays (default: no replay check).")
    Path nonceJournal;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String envelope;
        List<X509Certificate> anchors;
        InstantSource clock;
        HttpBinding request = null;
        try {
            envelope = readEnvelope();
            anchors = readBundle(trustBundle);
            clock = at == null ? InstantSource.system() : InstantSource.fixed(parseTime(at));
            if (method != null || url != null || body != null) {
                if (method == null || url == null || body == null) {
                    throw new UsageError("request binding needs --method, --url and --body together");
                }
                request = new HttpBinding(method, url, HttpBinding.digestBody(Files.readAllBytes(body)));
            }
        } catch (UsageError | IOException e) {
            return usage(err, e.getMessage());
        }

        SaeVerifier.Builder builder = SaeVerifier.builder()
                .trustAnchors(anchors)
                .clock(clock)
                // Offline: no pushed revocation state; the stapled OCSP response is the revocation evidence.
                .revocationSource(new InMemoryRevocationSource());
        FileNonceStore journal = null;
        try {
            if (nonceJournal != null) {
                journal = FileNonceStore.open(nonceJournal, clock, FileNonceStore.Durability.SYNC);
                builder.nonceStore(journal);
            } else {
                builder.withoutReplayCheck();
            }
            VerifiedAction v = builder.build().verify(envelope, request);
            print(out, v);
            return ExitCodes.OK;
        } catch (SaeVerificationException e) {
            if (global.json()) {
                ObjectNode o = JSON.createObjectNode();
                o.put("valid", false);
                o.put("reason", e.reason());
                o.put("message", e.getMessage());
                out.println(o);
            } else {
                out.println("invalid: " + e.reason() + " (" + e.getMessage() + ")");
            }
            return ExitCodes.FALSE;
        } catch (NonceStoreException e) {
            return usage(err, "cannot open the nonce journal: " + e.getMessage());
        } finally {
            if (journal != null) {
                try {
                    journal.close();
                } catch (NonceStoreException ignored) {
                    // the verdict is already printed
                }
            }
            out.flush();
        }
    }

    private void print(PrintWriter out, VerifiedAction v) {
        if (global.json()) {
            ObjectNode o = JSON.createObjectNode();
            o.put("valid", true);
            o.put("agent", v.agentId());
            o.put("agent_dn", v.agentDn());
            o.put("kid", v.kid());
            o.put("action", v.action().name());
            o.put("target", v.action().target());
            o.put("policy", v.policyHash());
            o.put("jti", v.jti());
            o.put("iat", v.issuedAt().toString());
            o.put("exp", v.expiresAt().toString());
            o.put("envelope_hash", v.envelopeHash());
            o.set("claims", v.claims());
            out.println(o);
        } else {
            out.println("valid: " + v.action().name() + " on " + v.action().target());
            out.println("  agent   " + v.agentId() + " (" + v.agentDn() + ")");
            out.println("  policy  " + v.policyHash());
            out.println("  jti     " + v.jti());
            out.println("  window  " + v.issuedAt() + " .. " + v.expiresAt());
            out.println("  hash    " + v.envelopeHash());
        }
    }

    private int usage(PrintWriter err, String message) {
        if (global.json()) {
            ObjectNode o = JSON.createObjectNode();
            o.putObject("error").put("code", "cli.usage").put("message", message);
            spec.commandLine().getOut().println(o);
            spec.commandLine().getOut().flush();
        } else {
            err.println("writ verify: " + message);
            err.flush();
        }
        return ExitCodes.USAGE;
    }

    private String readEnvelope() throws IOException, UsageError {
        byte[] bytes;
        if (input == null || input.equals("-")) {
            InputStream in = System.in;
            bytes = in.readNBytes(SaeVerifier.DEFAULT_MAX_SIZE * 4);
        } else {
            Path p = Path.of(input);
            if (!Files.isRegularFile(p)) {
                throw new UsageError("no such file: " + input);
            }
            bytes = Files.readAllBytes(p);
        }
        String s = new String(bytes, StandardCharsets.US_ASCII).strip();
        if (s.isEmpty()) {
            throw new UsageError("no envelope given");
        }
        return s;
    }

    static List<X509Certificate> readBundle(Path file) throws UsageError {
        if (!Files.isRegularFile(file)) {
            throw new UsageError("no such trust bundle: " + file);
        }
        List<X509Certificate> out = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file)) {
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                out.add((X509Certificate) c);
            }
        } catch (IOException | CertificateException e) {
            throw new UsageError("the trust bundle is not a PEM certificate file");
        }
        if (out.isEmpty()) {
            throw new UsageError("the trust bundle holds no certificate");
        }
        return out;
    }

    static Instant parseTime(String s) throws UsageError {
        try {
            if (s.chars().allMatch(Character::isDigit)) {
                return Instant.ofEpochSecond(Long.parseLong(s));
            }
            return Instant.parse(s);
        } catch (DateTimeParseException | NumberFormatException e) {
            throw new UsageError("--at must be ISO 8601 (2026-03-02T10:00:05Z) or epoch seconds");
        }
    }

    /** An input or usage problem: exit 2. */
    static final class UsageError extends Exception {
        UsageError(String message) {
            super(message);
        }
    }
}
