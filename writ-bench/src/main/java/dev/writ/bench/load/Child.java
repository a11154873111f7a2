package dev.writ.bench.load;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A target process under load: started with its output captured, ready when a line of its standard output matches a
 * pattern (from which the listening URL is taken), stopped with SIGTERM (then SIGKILL) when closed.
 */
final class Child implements AutoCloseable {
    private static final Pattern URL = Pattern.compile("(http://[0-9.]+:[0-9]+)");

    final String name;
    final Process process;
    final String url;
    final Path log;

    private Child(String name, Process process, String url, Path log) {
        this.name = name;
        this.process = process;
        this.url = url;
        this.log = log;
    }

    long pid() {
        return process.pid();
    }

    /** Starts the Writ CLI ({@code dev.writ.server.cli.Main}) with {@code args} in its own JVM. */
    static Child writ(String name, Path dir, List<String> jvmOptions, List<String> args, String readyLine)
            throws IOException, InterruptedException {
        List<String> cmd = java(jvmOptions);
        cmd.add("dev.writ.server.cli.Main");
        cmd.addAll(args);
        return start(name, dir, cmd, readyLine, true);
    }

    /** Starts a main class of this classpath in its own JVM. */
    static Child javaMain(String name, Path dir, List<String> jvmOptions, String mainClass, List<String> args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(java(jvmOptions));
        // Helpers of the generator itself (the upstream) always run from the generator's own classpath.
        cmd.set(cmd.indexOf("-cp") + 1, System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        return start(name, dir, cmd, "listening", true);
    }

    /** Starts any program; ready when {@code readyLine} appears (or, when null, at once with {@code url}). */
    static Child program(String name, Path dir, List<String> cmd, String url) throws IOException {
        Path log = dir.resolve(name + ".log");
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        return new Child(name, p, url, log);
    }

    /** The classpath of the Writ processes: {@code writ.load.target.cp} (to compare two builds), else this one. */
    static String targetClasspath() {
        String cp = System.getProperty("writ.load.target.cp");
        return cp == null || cp.isBlank() ? System.getProperty("java.class.path") : cp;
    }

    static List<String> java(List<String> jvmOptions) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(targetClasspath());
        return cmd;
    }

    private static Child start(String name, Path dir, List<String> cmd, String readyLine, boolean stdoutUrl)
            throws IOException, InterruptedException {
        Path log = dir.resolve(name + ".log");
        // Standard error goes to a file (as it would to a log collector); standard output is read for readiness.
        Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
        CompletableFuture<String> ready = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name(name + "-stdout").start(() -> {
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (!ready.isDone() && line.contains(readyLine)) {
                        Matcher m = URL.matcher(line);
                        ready.complete(m.find() ? m.group(1) : "");
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
            ready.completeExceptionally(new IOException(name + " ended before it was ready"));
        });
        try {
            String url = ready.get(120, TimeUnit.SECONDS);
            return new Child(name, p, url, log);
        } catch (Exception e) {
            p.destroyForcibly();
            String tail = Files.exists(log) ? Files.readString(log) : "";
            if (tail.length() > 4000) {
                tail = tail.substring(tail.length() - 4000);
            }
            throw new IOException(name + " did not start: " + e.getMessage() + "\n" + tail, e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
