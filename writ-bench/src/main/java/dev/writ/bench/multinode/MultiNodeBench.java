package dev.writ.bench.multinode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.writ.server.cli.Main;
import dev.writ.server.demo.ProcurementPolicy;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Throughput and latency of {@code POST /v1/authorize} with one and with two {@code writ serve} nodes on one
 * PostgreSQL and one Redis, and the database round trips each authorize costs.
 *
 * <p>The benchmark creates a fresh database on the given server, runs {@code writ init --db} on it, starts the nodes as
 * child JVMs (the same command an operator runs) behind a proxy that counts PostgreSQL round trips
 * ({@link RoundTripCounter}), publishes the procurement policy and registers one agent. Then, for one node and for two
 * (requests alternate between them):
 *
 * <ol>
 *   <li>throughput: a closed loop of {@code concurrency} clients for {@code seconds};
 *   <li>latency: a fixed offered rate for {@code seconds}, each latency measured from the request's scheduled start
 *       (no coordinated omission), reported as p50/p99/p99.9;
 *   <li>round trips per authorize during the fixed-rate phase, minus the idle background (policy refresh, relay lease,
 *       revocation reconciliation) measured for the same time before it.
 * </ol>
 *
 * <p>Usage: {@code MultiNodeBench postgresql://user@host:port/db redis://host:port [rate=200] [seconds=5]
 * [concurrency=16]}, password in {@code $WRIT_DB_PASSWORD}. The user must be allowed to create databases.
 */
public final class MultiNodeBench {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");
    static final String AUTHORIZE = "{\"action\":{\"name\":\"procurement.request.analyse\","
            + "\"classification\":\"internal\"},\"target\":\"procurement\"}";

    private MultiNodeBench() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: MultiNodeBench postgresql://user@host:port/db redis://host:port [rate] [seconds]"
                    + " [concurrency]  (password in $WRIT_DB_PASSWORD)");
            System.exit(2);
        }
        URI db = URI.create(args[0]);
        String redis = args[1];
        int rate = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        int concurrency = args.length > 4 ? Integer.parseInt(args[4]) : 16;
        String password = System.getenv().getOrDefault("WRIT_DB_PASSWORD", "");
        String user = db.getUserInfo();
        int port = db.getPort() < 0 ? 5432 : db.getPort();

        String name = "writ_bench_"
                + HexFormat.of().formatHex(new byte[] {
                    (byte) ThreadLocalRandom.current().nextInt(),
                    (byte) ThreadLocalRandom.current().nextInt(),
                    (byte) ThreadLocalRandom.current().nextInt()
                });
        String admin = "jdbc:postgresql://" + db.getHost() + ":" + port + db.getPath();
        try (Connection c = DriverManager.getConnection(admin, user, password);
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        Path tmp = Files.createTempDirectory("writ-bench-multinode");
        List<Process> processes = new ArrayList<>();
        try (RoundTripCounter proxy = RoundTripCounter.start(new InetSocketAddress(db.getHost(), port))) {
            String viaProxy = "postgresql://" + user + "@127.0.0.1:" + proxy.port() + "/" + name;
            Path pw = tmp.resolve("db-password");
            Files.writeString(pw, password);
            Path pass = tmp.resolve("root-pass");
            Files.writeString(pass, "a long root passphrase for the benchmark\n");
            Path dataA = tmp.resolve("node-a");
            int[] exit = new int[1];
            String initJson = captureStdout(() -> exit[0] = Main.run(
                    "init",
                    "--data",
                    dataA.toString(),
                    "--db",
                    viaProxy,
                    "--db-password-file",
                    pw.toString(),
                    "--root-passphrase-file",
                    pass.toString(),
                    "--json"));
            if (exit[0] != 0) {
                throw new IllegalStateException("writ init failed with exit code " + exit[0]);
            }
            String token = JSON.readTree(initJson).path("admin_token").asText();
            Path dataB = tmp.resolve("node-b");
            Files.createDirectories(dataB);
            Files.copy(dataA.resolve("master.key"), dataB.resolve("master.key"));

            CompletableFuture<String> a =
                    CompletableFuture.supplyAsync(() -> serve(processes, dataA, viaProxy, pw, redis));
            CompletableFuture<String> b =
                    CompletableFuture.supplyAsync(() -> serve(processes, dataB, viaProxy, pw, redis));
            String nodeA = a.get(120, TimeUnit.SECONDS);
            String nodeB = b.get(120, TimeUnit.SECONDS);
            HttpClient http = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5))
                    .build();
            check(call(http, "POST", nodeA + "/api/v1/policies", token, bundle()), 201);
            check(call(http, "POST", nodeA + "/api/v1/policies/1/activate", token, "{}"), 200);
            JsonNode agent = JSON.readTree(check(
                    call(
                            http,
                            "POST",
                            nodeA + "/api/v1/agents",
                            token,
                            "{\"tenant\":\"default\",\"name\":\"bench\",\"scope\":{\"actions\":[\"procurement.*\"],"
                                    + "\"limits\":{},\"counterparties\":[\"*\"],\"regions\":[\"*\"],\"hours\":\"*\","
                                    + "\"classification\":\"internal\",\"delegation\":0}}"),
                    201));
            String credential = agent.path("credential").asText();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (call(http, "POST", nodeB + "/v1/authorize", credential, AUTHORIZE)
                            .statusCode()
                    != 200) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("node B did not load the policy");
                }
                Thread.sleep(200);
            }
            System.out.printf(
                    Locale.ROOT,
                    "machine: %d cores, %s; PostgreSQL %s:%d, Redis %s%n",
                    Runtime.getRuntime().availableProcessors(),
                    System.getProperty("os.name"),
                    db.getHost(),
                    port,
                    redis);
            System.out.printf(
                    Locale.ROOT,
                    "%-6s %12s %10s %10s %10s %10s %14s%n",
                    "nodes",
                    "max req/s",
                    "rate",
                    "p50 ms",
                    "p99 ms",
                    "p99.9 ms",
                    "db trips/auth");
            for (List<String> nodes : List.of(List.of(nodeA), List.of(nodeA, nodeB))) {
                // Warm-up: the JIT, the pools and the caches.
                closedLoop(http, nodes, credential, concurrency, 3);
                double throughput = closedLoop(http, nodes, credential, concurrency, seconds);
                long idleStart = proxy.roundTrips();
                Thread.sleep(seconds * 1000L);
                long idle = proxy.roundTrips() - idleStart;
                long before = proxy.roundTrips();
                AtomicLong ok = new AtomicLong();
                Histogram h = fixedRate(http, nodes, credential, rate, seconds, ok);
                long trips = proxy.roundTrips() - before;
                System.out.printf(
                        Locale.ROOT,
                        "%-6d %12.0f %10d %10.2f %10.2f %10.2f %14.2f%n",
                        nodes.size(),
                        throughput,
                        rate,
                        h.getValueAtPercentile(50) / 1e6,
                        h.getValueAtPercentile(99) / 1e6,
                        h.getValueAtPercentile(99.9) / 1e6,
                        (trips - idle) / (double) Math.max(1, ok.get()));
                System.out.printf(
                        Locale.ROOT,
                        "       (%d authorized at the fixed rate; %d round trips, %d of them"
                                + " idle background over the same %d s)%n",
                        ok.get(),
                        trips,
                        idle,
                        seconds);
            }
        } finally {
            for (Process p : processes) {
                p.destroy();
            }
            for (Process p : processes) {
                p.waitFor(15, TimeUnit.SECONDS);
                p.destroyForcibly();
            }
            try (Connection c = DriverManager.getConnection(admin, user, password);
                    Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            }
        }
    }

    private static String serve(List<Process> processes, Path data, String db, Path pw, String redis) {
        try {
            ProcessBuilder pb = new ProcessBuilder(
                            ProcessHandle.current().info().command().orElse("java"),
                            "-cp",
                            System.getProperty("java.class.path"),
                            "-Xmx512m",
                            Main.class.getName(),
                            "serve",
                            "--data",
                            data.toString(),
                            "--db",
                            db,
                            "--db-password-file",
                            pw.toString(),
                            "--redis",
                            redis,
                            "--port",
                            "0")
                    .redirectErrorStream(true);
            Process p = pb.start();
            synchronized (processes) {
                processes.add(p);
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    Thread.ofPlatform().daemon().start(() -> drain(r));
                    return m.group(1);
                }
            }
            throw new IllegalStateException("writ serve exited with " + p.waitFor());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void drain(BufferedReader r) {
        try {
            while (r.readLine() != null) {
                // the node's log is not needed
            }
        } catch (Exception ignored) {
            // the process ended
        }
    }

    /** Requests per second that {@code concurrency} clients complete back to back. */
    static double closedLoop(HttpClient http, List<String> nodes, String credential, int concurrency, int seconds)
            throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        AtomicLong done = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        for (int t = 0; t < concurrency; t++) {
            String url = nodes.get(t % nodes.size()) + "/v1/authorize";
            threads.add(Thread.ofPlatform().start(() -> {
                while (System.nanoTime() < end) {
                    try {
                        if (call(http, "POST", url, credential, AUTHORIZE).statusCode() == 200) {
                            done.incrementAndGet();
                        }
                    } catch (Exception e) {
                        return;
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        return done.get() / ((System.nanoTime() - start) / 1e9);
    }

    /** Latency at a fixed offered rate, from each request's scheduled start. */
    static Histogram fixedRate(
            HttpClient http, List<String> nodes, String credential, int rate, int seconds, AtomicLong ok)
            throws Exception {
        Recorder recorder = new Recorder(3);
        int total = rate * seconds;
        long interval = 1_000_000_000L / rate;
        long start = System.nanoTime() + 10_000_000L;
        List<CompletableFuture<?>> all = new ArrayList<>(total);
        for (int i = 0; i < total; i++) {
            long scheduled = start + i * interval;
            for (long wait; (wait = scheduled - System.nanoTime()) > 0; ) {
                if (wait > 200_000) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                } else {
                    Thread.onSpinWait();
                }
            }
            HttpRequest req = HttpRequest.newBuilder(URI.create(nodes.get(i % nodes.size()) + "/v1/authorize"))
                    .header("Authorization", "Bearer " + credential)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(AUTHORIZE))
                    .build();
            all.add(http.sendAsync(req, HttpResponse.BodyHandlers.discarding()).whenComplete((r, e) -> {
                recorder.recordValue(System.nanoTime() - scheduled);
                if (e == null && r.statusCode() == 200) {
                    ok.incrementAndGet();
                }
            }));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        return recorder.getIntervalHistogram();
    }

    static HttpResponse<String> call(HttpClient http, String method, String url, String token, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        b.header("Content-Type", "application/json");
        b.method(
                method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String check(HttpResponse<String> r, int status) {
        if (r.statusCode() != status) {
            throw new IllegalStateException(r.uri() + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }

    static String bundle() throws Exception {
        ObjectNode body = JSON.createObjectNode();
        ObjectNode files = body.putObject("files");
        for (String name : ProcurementPolicy.FILES) {
            try (var in = ProcurementPolicy.class.getResourceAsStream("/bundles/procurement/" + name)) {
                files.put(name, Base64.getEncoder().encodeToString(in.readAllBytes()));
            }
        }
        return body.toString();
    }

    private static String captureStdout(Runnable r) {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setOut(out);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}
