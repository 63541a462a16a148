package io.outpost.agent.nodeproxy;

import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which client identities the node proxy caches ({@link ClientIdentity}): all by default, or only
 * those named. Requests of other clients are forwarded while online and never recorded, so offline
 * they get a 503 that says why.
 *
 * <pre>{@code
 * ClientAllowlist.of(List.of("kubelet", "kube-proxy")).caches("calico-node");  // false
 * }</pre>
 */
public final class ClientAllowlist {

  /** Every client is cached. */
  public static final ClientAllowlist ALL = new ClientAllowlist(Set.of());

  private final Set<String> names;

  private ClientAllowlist(Set<String> names) {
    this.names = names;
  }

  /** Only {@code names} (blank entries ignored); an empty collection means all. */
  public static ClientAllowlist of(Collection<String> names) {
    Set<String> kept = new TreeSet<>();
    for (String name : names) {
      if (name != null && !name.isBlank()) {
        kept.add(name.strip());
      }
    }
    return kept.isEmpty() ? ALL : new ClientAllowlist(Set.copyOf(kept));
  }

  public boolean caches(String client) {
    return names.isEmpty() || names.contains(client);
  }

  @Override
  public String toString() {
    return names.isEmpty() ? "all clients" : String.join(",", new TreeSet<>(names));
  }
}
