package dev.writ.server.cli;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.server.demo.DemoReport;
import dev.writ.server.demo.DemoScenario;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/**
 * {@code writ demo}: runs the procurement scenario end to end in one process over loopback sockets (see
 * {@link DemoScenario} and {@code docs/demo.md}). Exit 0 only when every expected outcome happened, else 1.
 */
@Command(
        name = "demo",
        description = "Run the end-to-end demo: a trust domain, the server, agents, a human approval, an ERP behind the"
                + " enforcing gateway, four attacks that must fail, and offline verification of the evidence.")
public final class DemoCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    GlobalOptions global;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        // --data given: use it (it must be empty) and keep it. Otherwise a fresh temporary directory, removed after.
        boolean explicit = spec.commandLine().getParseResult().hasMatchedOption("--data");
        Path data;
        if (explicit) {
            data = global.dataDir();
            if (Files.exists(data) && !isEmpty(data)) {
                throw CliError.usage("the data directory " + data + " is not empty (writ demo needs a fresh one)");
            }
            Files.createDirectories(data);
        } else {
            data = Files.createTempDirectory("writ-demo-");
        }
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        DemoReport report = global.json() ? DemoReport.quiet() : new DemoReport(new Printer(out));
        long started = System.nanoTime();
        Level previous = quietLogs();
        try {
            if (!global.json()) {
                out.println("Writ demo: a procurement workflow with sub-agents, a human approval and four attacks");
                out.println("  data: " + (explicit ? data : "temporary directory (removed afterwards)"));
            }
            DemoScenario.run(data, report);
        } finally {
            restoreLogs(previous);
            if (!explicit) {
                deleteTree(data);
            }
        }
        long ms = (System.nanoTime() - started) / 1_000_000;
        long passed = report.steps().stream().filter(DemoReport.Step::ok).count();
        int total = report.steps().size();
        if (global.json()) {
            ObjectNode doc = report.toJson();
            doc.put("elapsed_ms", ms);
            if (explicit) {
                doc.put("data", data.toString());
            }
            out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(doc));
        } else {
            out.println();
            out.printf(
                    "%s %d/%d expected outcomes in %.1f s%s%n",
                    report.ok() ? "✓ demo passed:" : "✗ demo FAILED:",
                    passed,
                    total,
                    ms / 1000.0,
                    explicit ? " (data kept in " + data + ")" : "");
        }
        return report.ok() ? ExitCodes.OK : 1;
    }

    /** Prints sections and steps as they complete: one line per step, its facts indented below. */
    private static final class Printer implements DemoReport.Listener {
        private final PrintStream out;

        Printer(PrintStream out) {
            this.out = out;
        }

        @Override
        public void section(DemoReport.Section section) {
            out.println();
            out.println(section.number() + ". " + section.title());
        }

        @Override
        public void step(DemoReport.Step step) {
            out.println("  " + (step.ok() ? "✓" : "✗") + " " + step.number() + " " + step.title()
                    + (step.ok() ? "" : "  [expected: " + step.expected() + "]"));
            StringBuilder line = new StringBuilder();
            for (Iterator<Map.Entry<String, JsonNode>> it = step.facts().fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode v = e.getValue();
                String text = v.isTextual() ? v.asText() : v.toString();
                String item = e.getKey() + "=" + text;
                if (line.length() > 0 && line.length() + item.length() > 100) {
                    out.println("        " + line);
                    line.setLength(0);
                }
                line.append(line.length() == 0 ? "" : "  ").append(item);
            }
            if (line.length() > 0) {
                out.println("        " + line);
            }
        }
    }

    /** The demo's own output tells the story: keep the server's INFO lines out of it unless asked for. */
    private static Level quietLogs() {
        if (System.getenv("WRIT_LOG_LEVEL") != null
                || !(LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
                        instanceof ch.qos.logback.classic.Logger root)) {
            return null;
        }
        Level previous = root.getLevel();
        root.setLevel(Level.WARN);
        return previous;
    }

    private static void restoreLogs(Level previous) {
        if (previous != null
                && LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
                        instanceof ch.qos.logback.classic.Logger root) {
            root.setLevel(previous);
        }
    }

    private static boolean isEmpty(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            System.err.println("writ: could not remove the temporary directory " + root);
        }
    }
}
