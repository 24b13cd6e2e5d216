// A JSSE HTTPS server for the probe's tests (testbed::JavaServer), run in source-launch mode:
//   java [-Djdk.tls.namedGroups=x25519,secp256r1] Server.java \
//        --port P --keystore F.p12 --password PW [--protocols TLSv1.2,TLSv1.3] [--suites A,B]
// Listens on 127.0.0.1 only and answers every path with "hello". The suite list, when given,
// replaces JSSE's default list exactly (so a test knows every suite the server can accept).

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.FileInputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

public class Server {
    public static void main(String[] argv) throws Exception {
        Map<String, String> args = new HashMap<>();
        for (int i = 0; i + 1 < argv.length; i += 2) {
            args.put(argv[i], argv[i + 1]);
        }
        char[] password = args.get("--password").toCharArray();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(args.get("--keystore"))) {
            keys.load(in, password);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, password);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);

        SSLParameters params = context.getDefaultSSLParameters();
        if (args.containsKey("--protocols")) {
            params.setProtocols(args.get("--protocols").split(","));
        }
        if (args.containsKey("--suites")) {
            params.setCipherSuites(args.get("--suites").split(","));
        }
        if ("true".equals(args.get("--server-order"))) {
            params.setUseCipherSuitesOrder(true);
        }

        int port = Integer.parseInt(args.get("--port"));
        HttpsServer server = HttpsServer.create(
                new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 64);
        server.setHttpsConfigurator(new HttpsConfigurator(context) {
            @Override
            public void configure(HttpsParameters https) {
                https.setSSLParameters(params);
            }
        });
        server.createContext("/", exchange -> {
            byte[] body = "hello\n".getBytes(StandardCharsets.US_ASCII);
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
        System.out.println("listening on 127.0.0.1:" + port);
    }
}
