package dev.writ.server.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.core.evidence.EvidenceBundleVerifier;
import dev.writ.core.evidence.EvidenceException;
import dev.writ.core.evidence.EvidenceReport;
import dev.writ.core.evidence.VerifiedEvidence;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code writ bundle verify FILE --trust-bundle PEM [--json]}: verifies an evidence bundle offline, with no server: only
 * the root certificate of the trust bundle is trusted; everything else comes from the bundle. Exit codes: 0 verified,
 * 1 invalid (the stable code and the file concerned are printed), 2 usage or input error.
 */
@Command(
        name = "bundle",
        mixinStandardHelpOptions = true,
        description = "Evidence bundles.",
        subcommands = {BundleCommand.Verify.class})
public final class BundleCommand implements Runnable {
    @Override
    public void run() {
        throw CliError.usage("usage: writ bundle verify FILE --trust-bundle PEM");
    }

    @Command(name = "verify", description = "Verify an evidence bundle offline against a trust bundle's root.")
    static final class Verify implements Runnable {
        private static final ObjectMapper JSON = new ObjectMapper();

        @Mixin
        GlobalOptions global;

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "FILE", description = "The evidence bundle (ZIP).")
        Path file;

        @Option(
                names = "--trust-bundle",
                required = true,
                paramLabel = "PEM",
                description = "PEM file with the trust domain's root (for example GET /trust-bundle.pem).")
        Path trustBundle;

        @Override
        public void run() {
            List<X509Certificate> anchors;
            try {
                anchors = VerifyCommand.readBundle(trustBundle);
            } catch (VerifyCommand.UsageError e) {
                throw CliError.usage(e.getMessage());
            }
            EvidenceBundleVerifier verifier;
            try {
                verifier = EvidenceBundleVerifier.trusting(anchors);
            } catch (IllegalArgumentException e) {
                throw CliError.usage("the trust bundle holds no root certificate");
            }
            byte[] zip;
            try {
                if (!Files.isRegularFile(file) || Files.size(file) > EvidenceBundleVerifier.MAX_BUNDLE) {
                    throw CliError.usage("no such bundle, or too large: " + file);
                }
                zip = Files.readAllBytes(file);
            } catch (IOException e) {
                throw CliError.usage("cannot read " + file + ": " + e.getMessage());
            }
            PrintWriter out = spec.commandLine().getOut();
            try {
                VerifiedEvidence v = verifier.verify(zip);
                EvidenceReport r = v.report();
                if (global.json()) {
                    ObjectNode o = JSON.createObjectNode();
                    o.put("valid", true);
                    o.put("trust_domain", r.trustDomain());
                    o.put("subject", r.subject());
                    o.put("checkpoint_size", r.checkpoint().size());
                    ArrayNode nodes = o.putArray("nodes");
                    for (EvidenceReport.Node n : r.nodes()) {
                        ObjectNode x = nodes.addObject();
                        x.put("jti", n.jti()).put("kind", n.kind()).put("action", n.action());
                        x.put("policy", n.policy().hash());
                    }
                    out.println(o.toPrettyString());
                } else {
                    long saes = r.nodes().stream()
                            .filter(n -> n.kind().equals("sae"))
                            .count();
                    out.println("valid: evidence for " + r.subject() + " (trust domain " + r.trustDomain() + "): "
                            + saes + " envelopes, " + (r.nodes().size() - saes) + " denials, every check passed"
                            + " under checkpoint size " + r.checkpoint().size());
                }
                out.flush();
            } catch (EvidenceException e) {
                if (global.json()) {
                    ObjectNode o = JSON.createObjectNode();
                    o.put("valid", false);
                    o.put("code", e.code());
                    e.file().ifPresent(f -> o.put("file", f));
                    o.put("message", e.getMessage());
                    out.println(o.toPrettyString());
                    out.flush();
                }
                throw new CliError(ExitCodes.FALSE, "invalid: " + e.code() + ": " + e.getMessage());
            }
        }
    }
}
