package dev.writ.server.redis;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} for tests, bound to loopback on a free port, in a temporary directory; installed by the
 * repository's {@code scripts/install-test-tools} when missing. It can be stopped and started again on the same port
 * (with or without its append-only file), which is how the tests take Redis away and bring it back.
 */
public final class RedisServer implements AutoCloseable {
    private final int port;
    private final Path dir;
    private final String password;
    private final boolean appendOnly;
    private Process process;

    private RedisServer(int port, Path dir, String password, boolean appendOnly) {
        this.port = port;
        this.dir = dir;
        this.password = password;
        this.appendOnly = appendOnly;
    }

    /** A server without persistence and without a password. */
    public static RedisServer start() throws Exception {
        return start(null, false);
    }

    /**
     * @param password the {@code requirepass}, or null
     * @param appendOnly whether to keep an append-only file (so a restart keeps the data)
     */
    public static RedisServer start(String password, boolean appendOnly) throws Exception {
        RedisServer s = new RedisServer(freePort(), Files.createTempDirectory("writ-redis"), password, appendOnly);
        s.startAgain();
        return s;
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Starts (again) on the same port with the same settings; returns once it accepts connections. */
    public synchronized void startAgain() throws Exception {
        if (process != null && process.isAlive()) {
            return;
        }
        String bin = require("redis-server");
        List<String> cmd = new ArrayList<>(List.of(
                bin,
                "--port",
                String.valueOf(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                appendOnly ? "yes" : "no",
                "--appendfsync",
                "always",
                "--dir",
                dir.toString()));
        if (password != null) {
            cmd.addAll(List.of("--requirepass", password));
        }
        process = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dir.resolve("redis.log").toFile()))
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(20);
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("redis-server did not start");
    }

    /** Stops the server (SIGTERM, then SIGKILL) and waits until it has exited. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    public int port() {
        return port;
    }

    /** {@code redis://127.0.0.1:<port>}, with the password when the server has one. */
    public String uri() {
        return password == null ? "redis://127.0.0.1:" + port : "redis://:" + password + "@127.0.0.1:" + port;
    }

    @Override
    public void close() {
        stop();
    }

    private static Path repoRoot() {
        return Path.of(System.getProperty("writ.repo.root", "."));
    }

    private static String require(String program) throws IOException, InterruptedException {
        if (!onPath(program)) {
            Process p = new ProcessBuilder(
                            repoRoot().resolve("scripts/install-test-tools").toString())
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
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(d, program))) {
                return true;
            }
        }
        return false;
    }
}
