package dev.writ.bench.multinode;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy in front of PostgreSQL that counts the client's round trips: every {@code Sync} message of the extended
 * query protocol and every simple {@code Query} ends in exactly one {@code ReadyForQuery} the client waits for, so their
 * number is the number of times a node waited on the database. A JDBC batch (several Parse/Bind/Execute, one Sync)
 * counts once, as it costs one round trip. Connection set-up (start-up, authentication) is not counted.
 *
 * <p>Only plain connections are supported: an {@code SSLRequest} is answered {@code N} by PostgreSQL without TLS, which
 * the proxy passes through like everything else.
 */
final class RoundTripCounter implements AutoCloseable {
    private static final int SSL_REQUEST = 80877103;
    private static final int GSS_REQUEST = 80877104;

    private final ServerSocket listener;
    private final InetSocketAddress upstream;
    private final AtomicLong roundTrips = new AtomicLong();
    private volatile boolean closed;

    private RoundTripCounter(ServerSocket listener, InetSocketAddress upstream) {
        this.listener = listener;
        this.upstream = upstream;
    }

    /** Listens on a free loopback port and forwards every connection to {@code upstream}. */
    static RoundTripCounter start(InetSocketAddress upstream) throws IOException {
        ServerSocket s = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        RoundTripCounter c = new RoundTripCounter(s, upstream);
        Thread.ofPlatform().daemon().name("pg-proxy-accept").start(c::acceptLoop);
        return c;
    }

    int port() {
        return listener.getLocalPort();
    }

    /** Round trips counted so far, over every connection. */
    long roundTrips() {
        return roundTrips.get();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket();
                server.connect(upstream, 5_000);
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
                Thread.ofPlatform().daemon().name("pg-proxy-up").start(() -> clientToServer(client, server));
                Thread.ofPlatform().daemon().name("pg-proxy-down").start(() -> pipe(server, client));
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("proxy: " + e.getMessage());
                }
            }
        }
    }

    /** Parses the client's messages: untyped start-up messages first, then typed ones ({@code type, int32 length}). */
    private void clientToServer(Socket client, Socket server) {
        try (client;
                server) {
            DataInputStream in = new DataInputStream(client.getInputStream());
            OutputStream out = new BufferedOutputStream(server.getOutputStream(), 64 * 1024);
            boolean startup = true;
            byte[] buf = new byte[64 * 1024];
            while (true) {
                int type = -1;
                if (!startup) {
                    type = in.read();
                    if (type < 0) {
                        return;
                    }
                }
                int length = in.readInt();
                if (startup) {
                    int code = length >= 8 ? in.readInt() : 0;
                    out.write(intBytes(length));
                    out.write(intBytes(code));
                    copy(in, out, length - 8, buf);
                    out.flush();
                    // After SSLRequest/GSSENCRequest the client sends the real start-up message, also untyped.
                    startup = code == SSL_REQUEST || code == GSS_REQUEST;
                    continue;
                }
                if (type == 'S' || type == 'Q') {
                    roundTrips.incrementAndGet();
                }
                out.write(type);
                out.write(intBytes(length));
                copy(in, out, length - 4, buf);
                if (in.available() == 0) {
                    out.flush();
                }
            }
        } catch (EOFException e) {
            // the client closed the connection
        } catch (IOException e) {
            // either side closed the connection
        }
    }

    private static void copy(DataInputStream in, OutputStream out, int n, byte[] buf) throws IOException {
        while (n > 0) {
            int r = in.read(buf, 0, Math.min(buf.length, n));
            if (r < 0) {
                throw new EOFException();
            }
            out.write(buf, 0, r);
            n -= r;
        }
    }

    private static void pipe(Socket from, Socket to) {
        try (from;
                to) {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            byte[] buf = new byte[64 * 1024];
            for (int r; (r = in.read(buf)) >= 0; ) {
                out.write(buf, 0, r);
                out.flush();
            }
        } catch (IOException e) {
            // either side closed the connection
        }
    }

    private static byte[] intBytes(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    @Override
    public void close() throws IOException {
        closed = true;
        listener.close();
    }
}
