package dev.writ.server.cluster;

import dev.writ.server.cli.Main;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code writ} command running in its own JVM (the test's classpath), as an operator would run it: {@code writ serve}
 * or {@code writ gateway}. {@link #start} returns once the process printed the URL it listens on.
 */
final class WritProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("(?:listening on|enforcing on) (https?://[^\\s]+)");

    private final Process process;
    private final String url;
    private final List<String> output;

    private WritProcess(Process process, String url, List<String> output) {
        this.process = process;
        this.url = url;
        this.output = output;
    }

    /** Starts {@code writ <args>} with extra environment variables and waits until it listens. */
    static WritProcess start(Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "-cp",
                System.getProperty("java.class.path"),
                "-Xshare:auto",
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-Xmx384m",
                Main.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        List<String> lines = new ArrayList<>();
        CompletableFuture<String> url = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    synchronized (lines) {
                        lines.add(line);
                    }
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        url.complete(m.group(1));
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
            url.completeExceptionally(new IllegalStateException("writ " + args[0] + " exited: " + tail(lines)));
        });
        try {
            return new WritProcess(p, url.get(60, TimeUnit.SECONDS), lines);
        } catch (Exception e) {
            p.destroyForcibly();
            throw new IllegalStateException("writ " + args[0] + " did not start: " + tail(lines), e);
        }
    }

    private static String tail(List<String> lines) {
        synchronized (lines) {
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        }
    }

    /** The URL the process listens on. */
    String url() {
        return url;
    }

    /** What the process printed so far. */
    String output() {
        return tail(output);
    }

    /** Kills the process at once (SIGKILL): no shutdown hook, no graceful stop. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }

    /** Makes sure {@code program} exists, running the repository's tool installer once if it does not. */
    static String require(String program) throws IOException, InterruptedException {
        if (!onPath(program)) {
            Process p = new ProcessBuilder(Path.of(System.getProperty("writ.repo.root", "."))
                            .resolve("scripts/install-test-tools")
                            .toString())
                    .inheritIO()
                    .start();
            p.waitFor(10, TimeUnit.MINUTES);
        }
        if (!onPath(program)) {
            throw new IllegalStateException(program + " is not installed");
        }
        return program;
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}
