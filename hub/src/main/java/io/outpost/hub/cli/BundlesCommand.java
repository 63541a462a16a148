package io.outpost.hub.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.hub.delivery.BundleView;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code outpost bundles [NAME]}: the bundles delivered from Git and where each cluster stands. */
@Command(name = "bundles", mixinStandardHelpOptions = true,
    description = "Lists bundles: revision, rollout phase, wave and cluster counts per status. With NAME: one"
        + " bundle's per-cluster status (with failed objects), waves and revision history (JSON).")
public final class BundlesCommand implements Callable<Integer> {

  static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  @Mixin HubConnection hub;

  @Parameters(paramLabel = "NAME", arity = "0..1")
  String name;

  @Override
  public Integer call() throws Exception {
    if (name != null) {
      System.out.println(hub.call("GET", "/api/v1/bundles/" + name, null));
      return 0;
    }
    List<BundleView> bundles = List.of(JSON.readValue(hub.call("GET", "/api/v1/bundles", null), BundleView[].class));
    String format = "%-24s %-13s %-12s %-6s %-9s %-8s %-7s %-8s%n";
    System.out.printf(format, "NAME", "REVISION", "PHASE", "WAVE", "SYNCED", "APPLYING", "FAILED", "OFFLINE");
    for (BundleView b : bundles) {
      int total = b.counts().values().stream().mapToInt(Integer::intValue).sum();
      System.out.printf(format, b.name(), b.revision() == null ? "-" : b.revision().substring(0, 12), b.phase(),
          (b.wave() + 1) + "/" + Math.max(1, b.waves().size()), b.counts().get(BundleView.SYNCED) + "/" + total,
          b.counts().get(BundleView.APPLYING), b.counts().get(BundleView.FAILED), b.counts().get(BundleView.OFFLINE));
    }
    return 0;
  }
}
