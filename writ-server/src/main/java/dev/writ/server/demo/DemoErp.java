package dev.writ.server.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The demo's target system: a tiny ERP on loopback that creates a purchase order for every {@code POST
 * /purchase-orders} it receives and records it. It performs no checks of its own: in the demo it is reachable only
 * through the enforcing gateway, so what it records is exactly what the gateway let through.
 */
final class DemoErp implements AutoCloseable {
    /** One executed purchase order: its number, the request body, and whether an envelope was forwarded with it. */
    public record PurchaseOrder(String number, String body, boolean carriedEnvelope) {}

    private final HttpServer server;
    private final ExecutorService executor;
    private final List<PurchaseOrder> orders = new ArrayList<>();

    private DemoErp(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Starts the ERP on a free loopback port. */
    public static DemoErp start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "writ-demo-erp");
            t.setDaemon(true);
            return t;
        });
        DemoErp erp = new DemoErp(server, executor);
        server.createContext("/purchase-orders", erp::handle);
        server.setExecutor(executor);
        server.start();
        return erp;
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** How many purchase orders were executed. */
    public synchronized int executed() {
        return orders.size();
    }

    public synchronized List<PurchaseOrder> orders() {
        return List.copyOf(orders);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (!"POST".equals(ex.getRequestMethod())
                    || !"/purchase-orders".equals(ex.getRequestURI().getPath())) {
                reply(ex, 404, "{\"error\":{\"code\":\"erp.not_found\",\"message\":\"no such resource\"}}");
                return;
            }
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readAllBytes();
            }
            String number;
            synchronized (this) {
                number = String.format("PO-%04d", orders.size() + 1);
                orders.add(new PurchaseOrder(
                        number,
                        new String(body, StandardCharsets.UTF_8),
                        ex.getRequestHeaders().getFirst("Writ-SAE") != null));
            }
            reply(ex, 201, "{\"purchase_order\":\"" + number + "\",\"status\":\"created\"}");
        }
    }

    private static void reply(HttpExchange ex, int status, String json) throws IOException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
