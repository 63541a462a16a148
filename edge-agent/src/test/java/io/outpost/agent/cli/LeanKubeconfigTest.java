package io.outpost.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LeanKubeconfig} reads a kubeconfig as fabric8's {@link Config#fromKubeconfig(java.io.File)}
 * does (context, server, credentials, certificate paths relative to the file), accepts extensions,
 * and names the file and the problem when it cannot.
 */
class LeanKubeconfigTest {

  private static final String TWO_CONTEXTS = """
      apiVersion: v1
      kind: Config
      clusters:
      - name: cloud
        cluster:
          server: https://cloud.example:6443
      - name: edge
        cluster:
          server: https://10.0.0.1:6443
          certificate-authority: pki/ca.crt
          tls-server-name: apiserver.edge
      users:
      - name: admin
        user:
          token: cloud-token
      - name: node
        user:
          client-certificate: pki/node.crt
          client-key: pki/node.key
      contexts:
      - name: cloud
        context: {cluster: cloud, user: admin}
      - name: edge
        context: {cluster: edge, user: node, namespace: kube-system}
      current-context: edge
      """;

  @TempDir
  Path dir;

  private static IllegalArgumentException refused(Path file) {
    return assertThrows(IllegalArgumentException.class, () -> LeanKubeconfig.load(file));
  }

  @Test
  void givenTwoContextsAndRelativeCertificatePaths_whenLoaded_thenTheSettingsAreFabric8sOwn() throws IOException {
    Path file = Files.writeString(dir.resolve("node.kubeconfig"), TWO_CONTEXTS);

    Config lean = LeanKubeconfig.load(file);
    Config fabric8 = Config.fromKubeconfig(file.toFile());

    assertEquals("https://10.0.0.1:6443/", lean.getMasterUrl());
    assertEquals("edge", lean.getCurrentContext().getName());
    assertEquals("kube-system", lean.getNamespace());
    // Relative to the kubeconfig's directory, not to the working directory.
    assertEquals(dir.resolve("pki/ca.crt").toString(), lean.getCaCertFile());
    assertEquals(dir.resolve("pki/node.crt").toString(), lean.getClientCertFile());
    assertEquals(dir.resolve("pki/node.key").toString(), lean.getClientKeyFile());
    assertEquals(fabric8.getMasterUrl(), lean.getMasterUrl());
    assertEquals(fabric8.getCaCertFile(), lean.getCaCertFile());
    assertEquals(fabric8.getClientCertFile(), lean.getClientCertFile());
    assertEquals(fabric8.getClientKeyFile(), lean.getClientKeyFile());
    assertEquals(fabric8.getNamespace(), lean.getNamespace());
    assertEquals(fabric8.getContexts(), lean.getContexts());
    assertEquals(fabric8.getCurrentContext(), lean.getCurrentContext());
  }

  @Test
  void givenATokenUser_whenLoaded_thenTheTokenIsTheCredential() throws IOException {
    Path file = Files.writeString(dir.resolve("cloud.kubeconfig"),
        TWO_CONTEXTS.replace("current-context: edge", "current-context: cloud"));

    Config lean = LeanKubeconfig.load(file);

    assertEquals("https://cloud.example:6443/", lean.getMasterUrl());
    assertEquals("cloud-token", lean.getAutoOAuthToken());
    assertEquals(Config.fromKubeconfig(file.toFile()).getAutoOAuthToken(), lean.getAutoOAuthToken());
  }

  @Test
  void givenExtensionsAsMinikubeWritesThem_whenLoaded_thenTheyAreAcceptedAndIgnored() throws IOException {
    Path file = Files.writeString(dir.resolve("minikube.kubeconfig"), """
        apiVersion: v1
        kind: Config
        clusters:
        - name: minikube
          cluster:
            server: https://192.168.49.2:8443
            extensions:
            - name: cluster_info
              extension:
                last-update: 'Sat, 22 Nov 2026 10:00:00 UTC'
                provider: minikube.sigs.k8s.io
                version: v1.34.0
        contexts:
        - name: minikube
          context:
            cluster: minikube
            user: minikube
            extensions:
            - name: context_info
              extension: {provider: minikube.sigs.k8s.io}
        users:
        - name: minikube
          user: {token: t}
        current-context: minikube
        """);

    assertEquals("https://192.168.49.2:8443/", LeanKubeconfig.load(file).getMasterUrl());
  }

  @Test
  void givenNoSuchFile_whenLoaded_thenTheErrorNamesTheFileAndWhatWasExpected() {
    Path missing = dir.resolve("missing.kubeconfig");
    IllegalArgumentException e = refused(missing);
    assertEquals("--kubeconfig " + missing + ": no such file (expected the kubeconfig of the upstream apiserver)",
        e.getMessage());
  }

  @Test
  void givenAnEmptyFile_whenLoaded_thenTheErrorSaysItIsEmpty() throws IOException {
    Path empty = Files.writeString(dir.resolve("empty.kubeconfig"), "\n  \n");
    IllegalArgumentException e = refused(empty);
    assertEquals("--kubeconfig " + empty + ": the file is empty (expected a kubeconfig)", e.getMessage());
  }

  @Test
  void givenBrokenYaml_whenLoaded_thenTheErrorSaysItIsNotAKubeconfig() throws IOException {
    Path broken = Files.writeString(dir.resolve("broken.kubeconfig"), "clusters: [unclosed\n");
    IllegalArgumentException e = refused(broken);
    assertTrue(e.getMessage().startsWith("--kubeconfig " + broken + ": not a kubeconfig ("), e.getMessage());
  }

  @Test
  void givenAListInsteadOfAKubeconfig_whenLoaded_thenTheErrorSaysItIsNotAKubeconfig() throws IOException {
    Path list = Files.writeString(dir.resolve("list.kubeconfig"), "- a\n- b\n");
    IllegalArgumentException e = refused(list);
    assertTrue(e.getMessage().startsWith("--kubeconfig " + list + ": not a kubeconfig ("), e.getMessage());
  }

  @Test
  void givenACurrentContextThatDoesNotExist_whenLoaded_thenTheErrorSaysWhatIsMissing() throws IOException {
    Path file = Files.writeString(dir.resolve("stale.kubeconfig"),
        TWO_CONTEXTS.replace("current-context: edge", "current-context: gone"));
    IllegalArgumentException e = refused(file);
    assertEquals("--kubeconfig " + file + ": no usable current context (expected current-context to name a context"
        + " whose cluster has a server)", e.getMessage());
  }

  @Test
  void givenScalarsThatLookLikeNumbersOrBooleans_whenLoaded_thenTheyAreReadAsFabric8ReadsThem()
      throws IOException {
    Path file = Files.writeString(dir.resolve("text.kubeconfig"), """
        apiVersion: v1
        kind: Config
        clusters:
        - name: c
          cluster: {server: "https://10.0.0.1:6443", insecure-skip-tls-verify: true}
        users:
        - name: u
          user:
            token: 0x1F
            as: admin
            as-groups: [system:masters, 2024]
        contexts:
        - name: c
          context: {cluster: c, user: u, namespace: 2024}
        current-context: c
        """);

    Config lean = LeanKubeconfig.load(file);
    Config fabric8 = Config.fromKubeconfig(file.toFile());

    assertEquals("0x1F", lean.getAutoOAuthToken());
    assertEquals("2024", lean.getNamespace());
    assertTrue(lean.isTrustCerts());
    assertEquals(fabric8.getAutoOAuthToken(), lean.getAutoOAuthToken());
    assertEquals(fabric8.getNamespace(), lean.getNamespace());
    assertEquals(fabric8.isTrustCerts(), lean.isTrustCerts());
    assertEquals(fabric8.getImpersonateUsername(), lean.getImpersonateUsername());
    assertEquals(fabric8.getCurrentContext().getContext(), lean.getCurrentContext().getContext());
  }

  @Test
  void givenAValueOfTheWrongShape_whenLoaded_thenTheErrorSaysWhereAndWhatWasExpected() throws IOException {
    Path file = Files.writeString(dir.resolve("shape.kubeconfig"),
        TWO_CONTEXTS.replace("server: https://cloud.example:6443", "server: [https://cloud.example:6443]"));
    IllegalArgumentException e = refused(file);
    assertEquals("--kubeconfig " + file + ": not a kubeconfig (clusters[0].cluster.server: expected a string, found"
        + " a list)", e.getMessage());
  }
}
