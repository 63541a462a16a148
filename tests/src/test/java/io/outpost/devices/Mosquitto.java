package io.outpost.devices;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real mosquitto broker on a free loopback port, for the tests that need a broker as a process of
 * its own. Skips the calling test, saying so, where mosquitto is not installed.
 */
final class Mosquitto implements AutoCloseable {

  static final String BINARY = "/usr/sbin/mosquitto";

  private final Process process;
  private final int port;

  private Mosquitto(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Skips the test unless mosquitto, mosquitto_pub and mosquitto_sub are installed. */
  static void assumeInstalled() {
    assumeTrue(Files.isExecutable(Path.of(BINARY)) && Files.isExecutable(Path.of("/usr/bin/mosquitto_pub"))
            && Files.isExecutable(Path.of("/usr/bin/mosquitto_sub")),
        "mosquitto, mosquitto_pub or mosquitto_sub not installed (apt-get install mosquitto mosquitto-clients):"
            + " skipping this mosquitto scenario");
  }

  /** Starts mosquitto with its data and log in {@code dir}; anonymous, queues up to a million messages per client. */
  static Mosquitto start(Path dir) throws IOException {
    assumeInstalled();
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    Files.createDirectories(dir);
    Path conf = dir.resolve("mosquitto.conf");
    Files.writeString(conf, String.join("\n", "listener " + port + " 127.0.0.1", "allow_anonymous true",
        "persistence false", "user root", "max_queued_messages 1000000", ""));
    Process process = new ProcessBuilder(BINARY, "-c", conf.toString()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("mosquitto.log").toFile()).start();
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
      try (Socket s = new Socket("127.0.0.1", port)) {
        return true;
      }
    });
    return new Mosquitto(process, port);
  }

  int port() {
    return port;
  }

  String url() {
    return "tcp://127.0.0.1:" + port;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
