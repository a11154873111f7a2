package dev.writ.bench.load;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.client.HttpClient;

/** The scenarios of {@link Main}. Every target runs in its own process, started from this classpath. */
final class Scenarios {
    private Scenarios() {}

    /** {@code writ serve} on a fresh data directory; allowed {@code POST /v1/authorize} requests. */
    static final class Authorize implements Scenario {
        private final Path dir;
        private final Main.Options o;
        private Child serve;
        private String credential;

        Authorize(Path dir, Main.Options o) {
            this.dir = dir;
            this.o = o;
        }

        @Override
        public void start() throws Exception {
            Path data = dir.resolve("data");
            String admin = Fixtures.initDomain(data);
            serve = serve(dir, data, o.targetJvm);
            credential = Fixtures.registerAgent(serve.url, admin, "load-buyer");
        }

        @Override
        public List<OpenLoop.Result> measure(HttpClient client, int rate) throws Exception {
            URI url = URI.create(serve.url + "/v1/authorize");
            String bearer = "Bearer " + credential;
            return List.of(OpenLoop.run(
                    "authorize",
                    client,
                    (c, i) -> Main.post(c, url, Fixtures.AUTHORIZE).headers(h -> h.put("Authorization", bearer)),
                    200,
                    rate,
                    o.warmup,
                    o.duration,
                    List.of(serve.pid())));
        }

        @Override
        public void close() throws Exception {
            if (serve != null) serve.close();
        }
    }

    /** The upstream directly, then through {@code writ gateway} in enforce mode with pre-minted envelopes. */
    static final class Enforce implements Scenario {
        private final Path dir;
        private final Main.Options o;
        private Child upstream;
        private Child gateway;
        private Fixtures.Pki pki;

        Enforce(Path dir, Main.Options o) {
            this.dir = dir;
            this.o = o;
        }

        @Override
        public void start() throws Exception {
            pki = new Fixtures.Pki();
            upstream = upstream(dir);
            Path bundle = Fixtures.write(dir.resolve("trust-bundle.pem"), pki.rootPem());
            gateway = Child.writ(
                    "gateway",
                    dir,
                    o.targetJvm,
                    List.of(
                            "gateway",
                            "--data",
                            dir.resolve("gw-data").toString(),
                            "--upstream",
                            upstream.url,
                            "--listen",
                            "127.0.0.1:0",
                            "--trust-bundle",
                            bundle.toString(),
                            "--nonce-dir",
                            dir.resolve("nonces").toString(),
                            "--insecure-no-revocation-push"),
                    "enforcing on");
        }

        @Override
        public List<OpenLoop.Result> measure(HttpClient client, int rate) throws Exception {
            String path = "/v1/transfers";
            long n = (o.warmup.toMillis() + o.duration.toMillis()) * rate / 1000 + 1;
            long t = System.nanoTime();
            // Minted before the run, each with its own jti, bound to the URL the gateway forwards to.
            String[] envelopes = pki.envelopes((int) n, upstream.url + path, Fixtures.ORDER);
            System.out.printf("# %d envelopes minted in %.1f s%n", n, (System.nanoTime() - t) / 1e9);
            URI direct = URI.create(upstream.url + path);
            URI viaGateway = URI.create(gateway.url + path);
            OpenLoop.Result directResult = OpenLoop.run(
                    "direct",
                    client,
                    (c, i) -> Main.post(c, direct, Fixtures.ORDER),
                    200,
                    rate,
                    o.warmup,
                    o.duration,
                    List.of(upstream.pid()));
            OpenLoop.Result enforced = OpenLoop.run(
                    "gateway enforce",
                    client,
                    (c, i) -> Main.post(c, viaGateway, Fixtures.ORDER)
                            .headers(h -> h.put("Writ-SAE", envelopes[(int) i])),
                    200,
                    rate,
                    o.warmup,
                    o.duration,
                    List.of(gateway.pid()));
            return List.of(directResult, enforced);
        }

        @Override
        public void close() throws Exception {
            if (gateway != null) gateway.close();
            if (upstream != null) upstream.close();
        }
    }

    /** The upstream directly, then through {@code writ gateway --mode authorize}, which calls {@code writ serve}. */
    static final class GatewayAuthorize implements Scenario {
        private final Path dir;
        private final Main.Options o;
        private Child serve;
        private Child upstream;
        private Child gateway;
        private String credential;

        GatewayAuthorize(Path dir, Main.Options o) {
            this.dir = dir;
            this.o = o;
        }

        @Override
        public void start() throws Exception {
            Path data = dir.resolve("data");
            String admin = Fixtures.initDomain(data);
            serve = serve(dir, data, o.targetJvm);
            credential = Fixtures.registerAgent(serve.url, admin, "load-buyer");
            upstream = upstream(dir);
            Path routes = Fixtures.write(dir.resolve("routes.yaml"), Fixtures.ROUTES);
            gateway = Child.writ(
                    "gateway",
                    dir,
                    o.targetJvm,
                    List.of(
                            "gateway",
                            "--mode",
                            "authorize",
                            "--server",
                            serve.url,
                            "--upstream",
                            upstream.url,
                            "--public-url",
                            "https://erp.example",
                            "--routes",
                            routes.toString(),
                            "--listen",
                            "127.0.0.1:0"),
                    "authorizing on");
        }

        @Override
        public List<OpenLoop.Result> measure(HttpClient client, int rate) throws Exception {
            String bearer = "Bearer " + credential;
            URI direct = URI.create(upstream.url + "/orders");
            URI viaGateway = URI.create(gateway.url + "/orders");
            OpenLoop.Result directResult = OpenLoop.run(
                    "direct",
                    client,
                    (c, i) -> Main.post(c, direct, Fixtures.ORDER),
                    200,
                    rate,
                    o.warmup,
                    o.duration,
                    List.of(upstream.pid()));
            OpenLoop.Result through = OpenLoop.run(
                    "gateway authorize",
                    client,
                    (c, i) -> Main.post(c, viaGateway, Fixtures.ORDER).headers(h -> h.put("Authorization", bearer)),
                    200,
                    rate,
                    o.warmup,
                    o.duration,
                    List.of(gateway.pid(), serve.pid()));
            return List.of(directResult, through);
        }

        @Override
        public void close() throws Exception {
            if (gateway != null) gateway.close();
            if (serve != null) serve.close();
            if (upstream != null) upstream.close();
        }
    }

    /** The upstream directly, then behind nginx as a plain reverse proxy (keep-alive to the upstream). */
    static final class Nginx implements Scenario {
        private final Path dir;
        private final Main.Options o;
        private Child upstream;
        private Child nginx;
        private String nginxUrl;

        Nginx(Path dir, Main.Options o) {
            this.dir = dir;
            this.o = o;
        }

        @Override
        public void start() throws Exception {
            String binary = nginxBinary();
            upstream = upstream(dir);
            Path prefix = Files.createDirectories(dir.resolve("nginx"));
            int port = freePort();
            String upHostPort = upstream.url.substring("http://".length());
            String conf =
                    """
                    worker_processes 1;
                    daemon off;
                    master_process off;
                    pid %1$s/nginx.pid;
                    error_log %1$s/error.log warn;
                    events { worker_connections 4096; }
                    http {
                      access_log off;
                      client_body_temp_path %1$s/body;
                      proxy_temp_path %1$s/proxy;
                      fastcgi_temp_path %1$s/fastcgi;
                      uwsgi_temp_path %1$s/uwsgi;
                      scgi_temp_path %1$s/scgi;
                      upstream api { server %2$s; keepalive 64; }
                      server {
                        listen 127.0.0.1:%3$d;
                        location / {
                          proxy_pass http://api;
                          proxy_http_version 1.1;
                          proxy_set_header Connection "";
                        }
                      }
                    }
                    """
                            .formatted(prefix, upHostPort, port);
            Path file = Fixtures.write(prefix.resolve("nginx.conf"), conf);
            nginxUrl = "http://127.0.0.1:" + port;
            nginx = Child.program(
                    "nginx",
                    dir,
                    List.of(binary, "-p", prefix.toString(), "-e", prefix + "/error.log", "-c", file.toString()),
                    nginxUrl);
            waitForPort(port);
        }

        @Override
        public List<OpenLoop.Result> measure(HttpClient client, int rate) throws Exception {
            URI direct = URI.create(upstream.url + "/orders");
            URI viaNginx = URI.create(nginxUrl + "/orders");
            OpenLoop.Result directResult = OpenLoop.run(
                    "direct",
                    client,
                    (c, i) -> Main.post(c, direct, Fixtures.ORDER),
                    200,
                    rate,
                    o.warmup,
                    o.duration,
                    List.of(upstream.pid()));
            OpenLoop.Result through = OpenLoop.run(
                    "nginx",
                    client,
                    (c, i) -> Main.post(c, viaNginx, Fixtures.ORDER),
                    200,
                    rate,
                    o.warmup,
                    o.duration,
                    List.of(nginx.pid()));
            return List.of(directResult, through);
        }

        @Override
        public void close() throws Exception {
            if (nginx != null) nginx.close();
            if (upstream != null) upstream.close();
        }

        /** nginx from the OS packages, installed by {@code scripts/install-test-tools} when missing. */
        private static String nginxBinary() throws Exception {
            for (String c : List.of("/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx")) {
                if (Files.isExecutable(Path.of(c))) {
                    return c;
                }
            }
            Path script = Path.of(System.getProperty("writ.repo.root", "."), "scripts", "install-test-tools");
            if (Files.isExecutable(script)) {
                new ProcessBuilder(script.toString()).inheritIO().start().waitFor();
            }
            for (String c : List.of("/usr/sbin/nginx", "/usr/bin/nginx")) {
                if (Files.isExecutable(Path.of(c))) {
                    return c;
                }
            }
            throw new IllegalStateException("nginx not found; run scripts/install-test-tools");
        }
    }

    static Child serve(Path dir, Path data, List<String> jvm) throws Exception {
        List<String> args = new ArrayList<>(List.of("serve", "--data", data.toString(), "--port", "0"));
        return Child.writ("serve", dir, jvm, args, "listening on");
    }

    static Child upstream(Path dir) throws Exception {
        return Child.javaMain("upstream", dir, List.of("-Xmx256m"), Upstream.class.getName(), List.of());
    }

    static int freePort() throws Exception {
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static void waitForPort(int port) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            try (var s = new java.net.Socket("127.0.0.1", port)) {
                return;
            } catch (java.io.IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("nothing listens on port " + port);
                }
                Thread.sleep(50);
            }
        }
    }
}
