package dev.writ.bench.load;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * The upstream API of the proxy scenarios, in its own JVM: reads the request body and answers {@code 200 ok}. The
 * same upstream is measured directly and behind each proxy, so the difference is what the proxy adds.
 *
 * <p>Usage: {@code Upstream [port]} (default 0: any free port); prints {@code upstream listening on URL}.
 */
public final class Upstream {
    private static final byte[] OK = "{\"ok\":true}".getBytes(StandardCharsets.US_ASCII);

    private Upstream() {}

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        Server server = new Server();
        ServerConnector c = new ServerConnector(server);
        c.setHost("127.0.0.1");
        c.setPort(port);
        server.addConnector(c);
        server.setHandler(new Handler.Abstract.NonBlocking() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                Content.Source.consumeAll(
                        request,
                        Callback.from(
                                () -> {
                                    response.setStatus(200);
                                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
                                    response.write(true, ByteBuffer.wrap(OK), callback);
                                },
                                callback::failed));
                return true;
            }
        });
        server.start();
        System.out.println("upstream listening on http://127.0.0.1:" + c.getLocalPort());
        System.out.flush();
        server.join();
    }
}
