package io.outpost.hub.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BundleFileTest {

  static final String FILE = "apps/web/outpost-bundle.yaml";

  static BundleSpec parse(String yaml) throws DeliveryException {
    return BundleFile.parse(FILE, yaml.getBytes(StandardCharsets.UTF_8));
  }

  static String error(String yaml) {
    return assertThrows(DeliveryException.class, () -> parse(yaml)).getMessage();
  }

  @Test
  void aCompleteFileIsReadIntoTheSpec() throws Exception {
    BundleSpec spec = parse("""
        name: web
        namespace: web
        drift: correct
        values: {replicas: 2, greeting: hi}
        targets:
          - clusterSelector: {env: prod}
            kinds: [edge]
        exclude:
          - names: [edge-9]
        customizations:
          - match: {clusterSelector: {region: sh}}
            values: {greeting: nihao}
            overlay: overlays/sh
            namespace: web-sh
        rollout:
          canary: 1
          batchSize: 25%
          maxUnavailable: 2
          failureThreshold: 1
          waitForOffline: true
        """);
    assertEquals("web", spec.name());
    assertTrue(spec.correctDrift());
    assertEquals(Map.of("replicas", "2", "greeting", "hi"), spec.values());
    assertEquals(Map.of("env", "prod"), spec.targets().get(0).clusterSelector());
    assertEquals(List.of("edge"), spec.targets().get(0).kinds());
    assertEquals(List.of("edge-9"), spec.exclude().get(0).names());
    assertEquals("overlays/sh", spec.customizations().get(0).overlay());
    assertEquals(new BundleSpec.Rollout(null, 1, new BundleSpec.Amount(25, true), new BundleSpec.Amount(2, false), 1,
        true), spec.rollout());
  }

  @Test
  void defaultsAreReportDriftAndOneWave() throws Exception {
    BundleSpec spec = parse("name: web\ntargets: [{}]\n");
    assertFalse(spec.correctDrift());
    assertEquals(BundleSpec.Rollout.DEFAULT, spec.rollout());
  }

  @Test
  void anUnknownFieldIsNamedWithTheFile() {
    assertEquals(FILE + ": unknown field \"targetz\" (expected one of: customizations, drift, exclude, name, namespace,"
        + " rollout, targets, values)", error("name: web\ntargetz: []\n"));
    assertEquals(FILE + ": unknown field \"targets[0].labels\" (expected one of: clusterSelector, kinds, names)",
        error("name: web\ntargets:\n  - labels: {a: b}\n"));
    assertEquals(FILE + ": unknown field \"rollout.batch\" (expected one of: batchSize, canary, failureThreshold,"
        + " maxUnavailable, waitForOffline)", error("name: web\ntargets: [{}]\nrollout: {batch: 2}\n"));
  }

  @Test
  void wrongValuesSayWhatWasExpected() {
    assertEquals(FILE + ": field \"targets\": missing (expected: a list of cluster selectors, e.g. - clusterSelector:"
        + " {env: prod})", error("name: web\n"));
    assertEquals(FILE + ": field \"name\": \"Web_1\" (expected: lower-case letters, digits and '-', up to 63"
        + " characters)", error("name: Web_1\ntargets: [{}]\n"));
    assertEquals(FILE + ": field \"drift\": \"fix\" (expected: report or correct)",
        error("name: web\ndrift: fix\ntargets: [{}]\n"));
    assertEquals(FILE + ": field \"rollout.batchSize\": 0% (expected: a count >= 1 or a percentage like 25%)",
        error("name: web\ntargets: [{}]\nrollout: {batchSize: 0%}\n"));
    assertEquals(FILE + ": field \"targets\": expected a list, found a mapping",
        error("name: web\ntargets: {env: prod}\n"));
    assertEquals(FILE + ": field \"customizations[0].overlay\": \"../x\" (expected: a directory inside the bundle's"
        + " path)", error("name: web\ntargets: [{}]\ncustomizations:\n  - {match: {}, overlay: ../x}\n"));
  }

  @Test
  void invalidYamlNamesTheFileAndLine() {
    assertTrue(error("name: web\ntargets: [\n  - x: : y\n").startsWith(FILE + ": invalid YAML at line "),
        error("name: web\ntargets: [\n  - x: : y\n"));
  }
}
