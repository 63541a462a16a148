package io.outpost.hub.cli;

import io.outpost.hub.delivery.BundleView;
import java.util.Map;

/**
 * How a rollout's state reads on a terminal: a progress bar redrawn in place, or, when the output
 * is not a terminal (a CI log, a pipe), one plain line per change.
 *
 * <pre>{@code
 * [##########----------]  8/16 Synced | wave 2/4 Progressing | 1 Applying 0 Failed 1 Offline
 * web 1a2b3c4d5e6f wave 2/4 Progressing: 8/16 Synced, 1 Applying, 0 Failed, 1 Offline, 6 Pending
 * }</pre>
 */
final class RolloutProgress {

  static final int WIDTH = 20;

  private RolloutProgress() {}

  static String bar(BundleView view) {
    int total = total(view);
    int synced = view.counts().getOrDefault(BundleView.SYNCED, 0);
    int filled = total == 0 ? 0 : synced * WIDTH / total;
    return "[" + "#".repeat(filled) + "-".repeat(WIDTH - filled) + "] " + String.format("%2d/%d", synced, total)
        + " Synced | " + wave(view) + " " + view.phase() + " | " + count(view, BundleView.APPLYING) + " Applying "
        + count(view, BundleView.FAILED) + " Failed " + count(view, BundleView.OFFLINE) + " Offline";
  }

  static String line(BundleView view) {
    String revision = view.revision() == null ? "-" : view.revision().substring(0, 12);
    return view.name() + " " + revision + " " + wave(view) + " " + view.phase() + ": "
        + count(view, BundleView.SYNCED) + "/" + total(view) + " Synced, " + count(view, BundleView.APPLYING)
        + " Applying, " + count(view, BundleView.FAILED) + " Failed, " + count(view, BundleView.OFFLINE) + " Offline, "
        + count(view, BundleView.PENDING) + " Pending" + (view.message() == null ? "" : " (" + view.message() + ")");
  }

  /** Whether following the rollout can stop: it finished, or it waits for a person. */
  static boolean settled(BundleView view) {
    return switch (view.phase()) {
      case "Complete", "Halted", "Invalid", "NoTargets", "Paused" -> true;
      default -> false;
    };
  }

  private static String wave(BundleView view) {
    return "wave " + Math.min(view.wave() + 1, Math.max(1, view.waves().size())) + "/" + Math.max(1, view.waves().size());
  }

  private static int total(BundleView view) {
    return view.counts().values().stream().mapToInt(Integer::intValue).sum();
  }

  private static int count(BundleView view, String status) {
    Map<String, Integer> counts = view.counts();
    return counts.getOrDefault(status, 0);
  }
}
