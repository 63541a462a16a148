package io.outpost.nodeproxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What keeps the node proxy's resident set small stays in place (BENCHMARKS.md §4, fourth session):
 * started with the launchers' default JVM options and their logging and Netty properties, the proxy
 * forwards and caches a kubelet's LIST without loading logback's XML configurator, fabric8's
 * registry of every Kubernetes kind, the JDK flight recorder's event metadata or Jackson's data
 * binding, and still writes the agent's log lines to stderr.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NodeProxyFootprintTest extends NodeProxyProcessFixture {

  /** The launchers' system properties for the node proxy (root outpost, deploy/dist/outpost.sh). */
  private static final List<String> LAUNCHER_PROPERTIES = List.of("-Doutpost.logging=code",
      "-Dio.netty.jfr.enabled=false");

  /** One class of each family that must not load (its first, or the one the rest hang off). */
  private static final java.util.Set<String> UNWANTED = java.util.Set.of(
      "ch.qos.logback.classic.joran.JoranConfigurator", "ch.qos.logback.core.joran.GenericXMLConfigurator",
      "ch.qos.logback.classic.PatternLayout",
      "io.fabric8.kubernetes.internal.KubernetesDeserializer$Mapping", "io.fabric8.kubernetes.api.model.Pod",
      // Netty asks whether JFR is available either way; with the property it sets up no events.
      "jdk.jfr.internal.MetadataLoader",
      // The proxy reads JSON and its kubeconfig without Jackson's data binding (~400 classes).
      "com.fasterxml.jackson.databind.ObjectMapper");

  @Test
  void givenTheLaunchersOptions_whenAKubeletListsThroughTheProxy_thenNoXmlConfiguratorKindRegistryOrDatabindIsLoaded()
      throws Exception {
    Path classes = dir.resolve("classes.txt");
    // The launchers' default JVM options too (one copy, shipped as lib/node-proxy.jvm-options).
    List<String> flags = new java.util.ArrayList<>(Files.readAllLines(Path.of("..", "deploy", "dist",
        "node-proxy.jvm-options")).stream().filter(line -> !line.startsWith("#"))
        .flatMap(line -> java.util.Arrays.stream(line.strip().split("\\s+"))).filter(flag -> !flag.isEmpty()).toList());
    flags.addAll(LAUNCHER_PROPERTIES);
    flags.add("-Xlog:class+load=info:file=" + classes);
    proxy = NodeProxyProcess.start(flags, kubeconfig, dir.resolve("data"), dir.resolve("logs"));

    try (KubernetesClient kubelet = kubelet(proxy)) {
      assertThat(kubelet.pods().inAnyNamespace().list().getItems()).isNotEmpty();
    }

    List<String> loaded = Files.readAllLines(classes).stream().filter(line -> line.contains(" source: "))
        .map(line -> line.substring(line.indexOf("] ") + 2, line.indexOf(" source: "))).toList();
    assertThat(loaded).as("classes loaded").contains("io.outpost.agent.logging.CodeConfiguredLogging",
        "io.fabric8.kubernetes.api.model.Config", "io.outpost.agent.nodeproxy.NodeProxy");
    List<String> unwanted = loaded.stream().filter(name -> UNWANTED.contains(name)
        || name.startsWith("javax.xml.parsers.")).toList();
    assertThat(unwanted).as("XML configurator, SAX, pattern layout, fabric8's kind registry, JFR event metadata,"
        + " Jackson databind")
        .isEmpty();
    assertThat(proxy.stderr()).as(proxy::output)
        .containsPattern("(?m)^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  "
            + "i\\.o\\.a\\.n\\.NodeProxy - node proxy listening on ");
  }
}
