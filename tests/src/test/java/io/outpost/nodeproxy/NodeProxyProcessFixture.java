package io.outpost.nodeproxy;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.outpost.sandbox.SandboxCluster;
import io.outpost.sandbox.SandboxSpec;
import io.outpost.testing.FaultyLink;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the node-proxy process tests share: one sandbox per class, and per test a relay the test
 * can cut between the proxy and the sandbox, a kubeconfig pointing through it, and the proxy
 * process (closed after the test).
 */
abstract class NodeProxyProcessFixture {

  static final String KUBELET = "kubelet/1.32";

  static SandboxCluster sandbox;

  @TempDir
  Path dir;

  FaultyLink link;
  Path kubeconfig;
  NodeProxyProcess proxy;

  @BeforeAll
  static void startSandbox() {
    sandbox = SandboxCluster.start(SandboxSpec.builder("edge-1").build());
  }

  @AfterAll
  static void stopSandbox() {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  @BeforeEach
  void linkAndKubeconfig() throws IOException {
    link = new FaultyLink(sandbox.port());
    kubeconfig = dir.resolve("upstream.kubeconfig");
    Files.writeString(kubeconfig, sandbox.kubeconfig("edge-1")
        .replace(sandbox.url(), "http://127.0.0.1:" + link.port()));
  }

  @AfterEach
  void stop() throws IOException {
    if (proxy != null) {
      proxy.close();
    }
    link.close();
  }

  /** A client that calls itself kubelet, the way node components reach the proxy. */
  static KubernetesClient kubelet(NodeProxyProcess through) {
    Config config = new ConfigBuilder(Config.empty()).withMasterUrl(through.url()).withUserAgent(KUBELET)
        .withHttp2Disable(true).withRequestRetryBackoffLimit(0).withNamespace("default").build();
    return new KubernetesClientBuilder().withConfig(config).withHttpClientFactory(new JdkHttpClientFactory()).build();
  }
}
