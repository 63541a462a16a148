package io.outpost.hub.delivery;

import io.outpost.hub.delivery.Manifests.Manifest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One bundle directory at one commit, parsed and checked: its spec, its base manifests and its
 * overlays. Everything that can be wrong with the files is found here, before any cluster gets
 * anything, so a broken commit is reported and never half-applied.
 *
 * @param tree the Git tree id of the bundle directory (same id: same content)
 */
public record LoadedBundle(BundleSpec spec, Commit commit, String tree, List<Manifest> base,
    Map<String, List<Manifest>> overlays) {

  /** Loads the bundle under {@code path} of {@code source} at {@code commit}. */
  public static LoadedBundle load(GitRepos repos, String source, String path, Commit commit) throws DeliveryException {
    GitRepos.Tree tree = repos.files(source, commit.id(), path);
    String prefix = path.isBlank() || path.equals(".") ? "" : path.replaceAll("/+$", "") + "/";
    return parse(prefix, tree.files(), commit, tree.id());
  }

  /** Parses the files of a bundle directory, by path relative to it; {@code prefix} only names them in messages. */
  public static LoadedBundle parse(String prefix, Map<String, byte[]> files, Commit commit, String tree)
      throws DeliveryException {
    byte[] bundleFile = files.get(BundleFile.NAME);
    if (bundleFile == null) {
      throw new DeliveryException(prefix + BundleFile.NAME + ": missing (every bundle path needs one; see the README)");
    }
    BundleSpec spec = BundleFile.parse(prefix + BundleFile.NAME, bundleFile);
    Map<String, List<Manifest>> overlays = new LinkedHashMap<>();
    for (BundleSpec.Customization c : spec.customizations()) {
      if (c.overlay() != null) {
        String dir = c.overlay().replaceAll("/+$", "") + "/";
        List<Manifest> objects = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
          if (e.getKey().startsWith(dir) && isManifest(e.getKey())) {
            objects.addAll(Manifests.parseObjects(prefix + e.getKey(), e.getValue()));
          }
        }
        if (objects.isEmpty()) {
          throw new DeliveryException(prefix + BundleFile.NAME + ": overlay \"" + c.overlay()
              + "\" has no YAML files in the bundle's path");
        }
        overlays.put(c.overlay(), objects);
      }
    }
    List<Manifest> base = new ArrayList<>();
    for (Map.Entry<String, byte[]> e : files.entrySet()) {
      String file = e.getKey();
      boolean inOverlay = overlays.keySet().stream().anyMatch(o -> file.startsWith(o.replaceAll("/+$", "") + "/"));
      if (!file.equals(BundleFile.NAME) && !inOverlay && isManifest(file)) {
        base.addAll(Manifests.parseObjects(prefix + file, e.getValue()));
      }
    }
    if (base.isEmpty()) {
      throw new DeliveryException(prefix + ": no manifests (expected .yaml, .yml or .json files next to "
          + BundleFile.NAME + ")");
    }
    return new LoadedBundle(spec, commit, tree, List.copyOf(base), overlays);
  }

  /** The bundle's name as its file states it, when the rest of the file cannot be read. */
  static String nameOf(Map<String, byte[]> files) {
    byte[] content = files.get(BundleFile.NAME);
    return content == null ? null : BundleFile.nameOrNull(content);
  }

  private static boolean isManifest(String file) {
    String f = file.toLowerCase(Locale.ROOT);
    return f.endsWith(".yaml") || f.endsWith(".yml") || f.endsWith(".json");
  }
}
