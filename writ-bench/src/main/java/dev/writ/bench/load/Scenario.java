package dev.writ.bench.load;

import java.util.List;
import org.eclipse.jetty.client.HttpClient;

/** A target set up once ({@link #start}) and measured at any number of rates. */
interface Scenario extends AutoCloseable {
    void start() throws Exception;

    /**
     * One measurement at {@code rate}: for proxies, the upstream directly first and then through the proxy (last);
     * otherwise one result.
     */
    List<OpenLoop.Result> measure(HttpClient client, int rate) throws Exception;

    @Override
    void close() throws Exception;
}
