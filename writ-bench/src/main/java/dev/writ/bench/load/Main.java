package dev.writ.bench.load;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Writ's load generator: drives a real {@code writ serve} / {@code writ gateway} (each in its own JVM, started from
 * this classpath) at a fixed offered rate and reports latency from each request's intended send time (no coordinated
 * omission), with warm-up, errors by status, the achieved rate and the CPU time per request of target and generator.
 *
 * <pre>
 * java -cp "$(cat writ-bench/target/runtime-classpath.txt):writ-bench/target/classes" dev.writ.bench.load.Main \
 *     SCENARIO [--rate 3000] [--duration 20s] [--warmup 5s] [--connections 64]
 *              [--step FROM,BY,TO --p99-bound 1ms] [--target-jvm "-XX:StartFlightRecording=..."]
 *              [--target-cp CLASSPATH] [--keep]
 * </pre>
 *
 * Scenarios:
 *
 * <ul>
 *   <li>{@code authorize}: {@code POST /v1/authorize} of {@code writ serve} on a fresh data directory (procurement
 *       policy active, one agent), requests that are allowed (200 with an envelope and log receipt).
 *   <li>{@code enforce}: an upstream directly, then through {@code writ gateway} (enforce mode) with envelopes minted
 *       before the run, one per request (unique {@code jti}); reports the added latency.
 *   <li>{@code gateway-authorize}: an upstream directly, then through {@code writ gateway --mode authorize} (route map)
 *       in front of it, which calls {@code writ serve} for every request.
 *   <li>{@code nginx}: the same upstream directly, then behind nginx as a plain reverse proxy: the reference.
 * </ul>
 *
 * In step mode, after one priming round at FROM (printed, not judged), the rate rises from FROM by BY up to TO until a step breaks the bound (p99 for {@code authorize}, added
 * p99 for the proxies), fails requests, or falls behind (achieved below 97% of offered); the highest rate held is
 * reported. {@code --target-cp} runs the Writ processes from another build (to compare before and after a change);
 * {@code --target-jvm} passes JVM options to them (a flight recording, a heap size, another collector).
 */
public final class Main {
    private Main() {}

    static final class Options {
        String scenario;
        int rate = 1000;
        Duration duration = Duration.ofSeconds(20);
        Duration warmup = Duration.ofSeconds(5);
        int connections = 64;
        int[] step;
        double p99BoundMs = 1.0;
        List<String> targetJvm = new ArrayList<>();
        boolean keep;
    }

    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("load: " + e.getMessage());
            System.err.println(
                    "usage: Main authorize|enforce|gateway-authorize|nginx [--rate N] [--duration 20s] [--warmup 5s]"
                            + " [--connections 64] [--step FROM,BY,TO] [--p99-bound 1ms] [--target-jvm OPTS] [--keep]");
            System.exit(2);
            return;
        }
        Path dir = Files.createTempDirectory("writ-load-");
        Scenario s =
                switch (o.scenario) {
                    case "authorize" -> new Scenarios.Authorize(dir, o);
                    case "enforce" -> new Scenarios.Enforce(dir, o);
                    case "gateway-authorize" -> new Scenarios.GatewayAuthorize(dir, o);
                    case "nginx" -> new Scenarios.Nginx(dir, o);
                    default -> throw new IllegalStateException();
                };
        HttpClient client = client(o.connections);
        System.out.printf(
                Locale.ROOT,
                "# %s: %d cores, load average %.2f, %s %s, generator pid %d, work dir %s%n",
                o.scenario,
                Runtime.getRuntime().availableProcessors(),
                java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                        .getSystemLoadAverage(),
                System.getProperty("java.vm.name"),
                System.getProperty("java.version"),
                ProcessHandle.current().pid(),
                dir);
        try {
            s.start();
            if (o.step == null) {
                List<OpenLoop.Result> rs = s.measure(client, o.rate);
                rs.forEach(Report::print);
                if (rs.size() > 1) {
                    Report.added(rs.get(0), rs.get(rs.size() - 1));
                }
            } else {
                step(s, client, o);
            }
        } finally {
            client.stop();
            s.close();
            if (!o.keep) {
                deleteTree(dir);
            }
        }
        System.exit(0);
    }

    private static void step(Scenario s, HttpClient client, Options o) throws Exception {
        // Fresh JVMs compile for many seconds: one unrecorded round at the first rate, so step one is not a JIT test.
        System.out.println("# priming at " + o.step[0] + " req/s (not judged)");
        s.measure(client, o.step[0]).forEach(Report::print);
        int held = 0;
        for (int rate = o.step[0]; rate <= o.step[2]; rate += o.step[1]) {
            List<OpenLoop.Result> rs = s.measure(client, rate);
            rs.forEach(Report::print);
            if (rs.size() > 1) {
                Report.added(rs.get(0), rs.get(rs.size() - 1));
            }
            OpenLoop.Result target = rs.get(rs.size() - 1);
            double p99 = rs.size() > 1 ? target.p(99) - rs.get(0).p(99) : target.p(99);
            boolean behind = target.achievedRate() < 0.97 * rate;
            boolean failed = target.errorCount() > 0;
            boolean slow = p99 > o.p99BoundMs;
            System.out.printf(
                    Locale.ROOT,
                    "step %d/s: %s p99 %.3f ms (bound %.3f)%s%s%n",
                    rate,
                    rs.size() > 1 ? "added" : "",
                    p99,
                    o.p99BoundMs,
                    behind ? ", fell behind" : "",
                    failed ? ", errors" : "");
            if (behind || failed || slow) {
                break;
            }
            held = rate;
        }
        System.out.printf(Locale.ROOT, "highest rate held: %d req/s (p99 bound %.3f ms)%n", held, o.p99BoundMs);
    }

    static HttpClient client(int connections) throws Exception {
        // A small pool: completions are cheap, and the generator shares the cores with what it measures.
        QueuedThreadPool pool = new QueuedThreadPool(8, 2);
        pool.setName("load-client");
        pool.setDaemon(true);
        HttpClient client = new HttpClient();
        client.setExecutor(pool);
        client.setMaxConnectionsPerDestination(connections);
        // Queue rather than fail when the target falls behind: the queueing shows up in the latency.
        client.setMaxRequestsQueuedPerDestination(1 << 20);
        client.setFollowRedirects(false);
        client.setUserAgentField(null);
        client.start();
        return client;
    }

    static Request post(HttpClient client, URI url, byte[] body) {
        return client.newRequest(url)
                .method(org.eclipse.jetty.http.HttpMethod.POST)
                .body(new BytesRequestContent("application/json", body));
    }

    static Options parse(String[] args) {
        if (args.length == 0) {
            throw new IllegalArgumentException("a scenario is required");
        }
        Options o = new Options();
        o.scenario = args[0];
        if (!List.of("authorize", "enforce", "gateway-authorize", "nginx").contains(o.scenario)) {
            throw new IllegalArgumentException("unknown scenario " + o.scenario);
        }
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--keep")) {
                o.keep = true;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(a + " needs a value");
            }
            String v = args[++i];
            switch (a) {
                case "--rate" -> o.rate = Integer.parseInt(v);
                case "--duration" -> o.duration = duration(v);
                case "--warmup" -> o.warmup = duration(v);
                case "--connections" -> o.connections = Integer.parseInt(v);
                case "--p99-bound" -> o.p99BoundMs = duration(v).toNanos() / 1e6;
                case "--target-jvm" -> o.targetJvm = Arrays.asList(v.trim().split("\\s+"));
                case "--target-cp" -> System.setProperty("writ.load.target.cp", v);
                case "--step" -> {
                    String[] p = v.split(",");
                    if (p.length != 3) {
                        throw new IllegalArgumentException("--step is FROM,BY,TO");
                    }
                    o.step = new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2])};
                    if (o.step[0] < 1 || o.step[1] < 1) {
                        throw new IllegalArgumentException("--step values must be positive");
                    }
                }
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (o.rate < 1) {
            throw new IllegalArgumentException("--rate must be positive");
        }
        if (o.duration.toSeconds() > 30 || o.warmup.toSeconds() > 30) {
            throw new IllegalArgumentException("keep runs short: --duration and --warmup are at most 30s each");
        }
        return o;
    }

    static Duration duration(String v) {
        String s = v.trim().toLowerCase(Locale.ROOT);
        if (s.endsWith("ms")) return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
        if (s.endsWith("us")) return Duration.ofNanos(1000 * Long.parseLong(s.substring(0, s.length() - 2)));
        if (s.endsWith("s"))
            return Duration.ofMillis((long) (1000 * Double.parseDouble(s.substring(0, s.length() - 1))));
        return Duration.ofSeconds(Long.parseLong(s));
    }

    static void deleteTree(Path dir) {
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        } catch (Exception ignored) {
            // a temp dir left behind is harmless
        }
    }
}
