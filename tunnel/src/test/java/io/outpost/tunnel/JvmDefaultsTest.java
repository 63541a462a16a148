package io.outpost.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Runs JVMs that see 1 or 2 CPUs (as a small edge box does) and asks what a main() of ours gets
 * after {@link JvmDefaults#apply()}: where async tasks run, how much the JDK HttpClient reads at once.
 */
class JvmDefaultsTest {

  @Test
  void onOneOrTwoCpusAsyncTasksRunInAPoolNotInAFreshThreadEach() throws Exception {
    assertEquals("pool", probe(AsyncProbe.class, 2, List.of()));
    assertEquals("pool", probe(AsyncProbe.class, 1, List.of()));
  }

  @Test
  void aParallelismTheUserChoseIsKept() throws Exception {
    assertEquals("thread per task", probe(AsyncProbe.class, 2, List.of("-D" + JvmDefaults.PARALLELISM + "=1")));
  }

  @Test
  void theHttpClientHandsOverALargeBodyInBuffersOf64KiBNot16() throws Exception {
    assertEquals("largest buffer 65536", probe(BufferProbe.class, 2, List.of()));
  }

  @Test
  void aBufferSizeTheUserChoseIsKept() throws Exception {
    assertEquals("largest buffer 16384", probe(BufferProbe.class, 2, List.of("-D" + JvmDefaults.HTTP_CLIENT_BUFFER + "=16384")));
  }

  private static String probe(Class<?> main, int cpus, List<String> options) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:ActiveProcessorCount=" + cpus));
    command.addAll(options);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    process.waitFor(30, TimeUnit.SECONDS);
    return out;
  }

  /** What a main() of ours does first, then where CompletableFuture runs an async task. */
  public static final class AsyncProbe {
    public static void main(String[] args) {
      JvmDefaults.apply();
      boolean pooled = CompletableFuture.supplyAsync(() -> Thread.currentThread() instanceof
          ForkJoinWorkerThread).join();
      System.out.println(pooled && ForkJoinPool.getCommonPoolParallelism() > 1 ? "pool" : "thread per task");
    }
  }

  /** What a main() of ours does first, then the largest buffer the HttpClient hands over for a 4 MiB body. */
  public static final class BufferProbe {
    public static void main(String[] args) throws Exception {
      JvmDefaults.apply();
      HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      byte[] body = new byte[4 * 1024 * 1024];
      server.createContext("/", exchange -> {
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      });
      server.start();
      AtomicInteger largest = new AtomicInteger();
      try {
        URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
        HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).build(),
            HttpResponse.BodyHandlers.fromSubscriber(new Flow.Subscriber<List<ByteBuffer>>() {
              @Override
              public void onSubscribe(Flow.Subscription subscription) {
                subscription.request(Long.MAX_VALUE);
              }

              @Override
              public void onNext(List<ByteBuffer> buffers) {
                buffers.forEach(b -> largest.accumulateAndGet(b.remaining(), Math::max));
              }

              @Override
              public void onError(Throwable error) {
                System.out.println("error " + error);
              }

              @Override
              public void onComplete() {
              }
            }));
      } finally {
        server.stop(0);
      }
      System.out.println("largest buffer " + largest.get());
      System.exit(0);
    }
  }
}
