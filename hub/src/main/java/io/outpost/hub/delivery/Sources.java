package io.outpost.hub.delivery;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.outpost.cache.store.DurableMap;
import io.outpost.cache.store.DurableStore;
import io.outpost.hub.api.Durations;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Git sources: declared through the API, stored in the hub store (credentials in a map of
 * their own that no API reads back), fetched on their poll interval or at once through the webhook.
 * Each fetch loads every path's bundle and hands it to the {@link RolloutEngine}. All Git work runs
 * on one thread, so two triggers for one source never fetch at the same time.
 */
public final class Sources implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Sources.class);
  static final String POLLER = "git poll";

  private final GitRepos repos;
  private final RolloutEngine engine;
  private final DurableMap specs;
  private final DurableMap secrets;
  private final DurableMap webhookSecrets;
  private final Duration defaultPoll;
  private final Clock clock;
  private final ObjectMapper json = new ObjectMapper();
  private final Map<String, SourceView> views = new ConcurrentHashMap<>();
  private final Map<String, Instant> nextFetch = new ConcurrentHashMap<>();
  private final ScheduledExecutorService git = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "outpost-git");
    t.setDaemon(true);
    return t;
  });

  public Sources(GitRepos repos, RolloutEngine engine, DurableStore store, Duration defaultPoll, Clock clock) {
    this.repos = repos;
    this.engine = engine;
    this.specs = store.map("delivery.sources");
    this.secrets = store.map("delivery.credentials");
    this.webhookSecrets = store.map("delivery.webhook-secrets");
    this.defaultPoll = defaultPoll;
    this.clock = clock;
  }

  /** Starts polling; every source is fetched once right away. */
  public Sources start() {
    git.scheduleWithFixedDelay(this::pollDue, 0, 1, TimeUnit.SECONDS);
    return this;
  }

  /** Creates or replaces a source and fetches it at once; the answer carries the outcome. */
  public SourceView put(SourceSpec.Request request, String user) {
    SourceSpec spec = validate(request);
    try {
      specs.put(spec.name(), json.writeValueAsBytes(spec));
      if (request.credentials() != null) {
        secrets.put(spec.name(), json.writeValueAsBytes(request.credentials()));
      } else {
        secrets.remove(spec.name());
      }
      if (request.webhookSecret() != null && !request.webhookSecret().isBlank()) {
        webhookSecrets.put(spec.name(), request.webhookSecret().getBytes(StandardCharsets.UTF_8));
      } else {
        webhookSecrets.remove(spec.name());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot store source " + spec.name(), e);
    }
    return sync(spec.name(), user).orElseThrow();
  }

  public List<SourceView> list() {
    List<SourceView> result = new ArrayList<>();
    for (String name : specs.snapshot().keySet()) {
      result.add(view(name));
    }
    return result;
  }

  public Optional<SourceView> get(String name) {
    return specs.containsKey(name) ? Optional.of(view(name)) : Optional.empty();
  }

  public boolean delete(String name) {
    boolean existed = specs.remove(name);
    secrets.remove(name);
    webhookSecrets.remove(name);
    views.remove(name);
    nextFetch.remove(name);
    if (existed) {
      engine.forgetSource(name);
      onGitThread(() -> {
        repos.delete(name);
        return null;
      });
    }
    return existed;
  }

  /**
   * A push webhook from the Git server, authenticated by the source's webhook secret (see
   * {@link WebhookSignature}); fetches the source at once like {@link #sync}.
   *
   * @throws WebhookSignature.Refused when the source has no secret or the request is not signed with it
   */
  public Optional<SourceView> signedWebhook(String name, byte[] body, WebhookSignature.Headers headers) {
    if (!specs.containsKey(name)) {
      return Optional.empty();
    }
    byte[] secret = webhookSecrets.get(name).orElseThrow(() -> new WebhookSignature.Refused("source \"" + name
        + "\" has no webhookSecret: declare one, or call /api/v1/sources/" + name + "/webhook with a bearer token"));
    String via = WebhookSignature.verify(secret, body, headers);
    return sync(name, "webhook (" + via + ")");
  }

  /** Fetches a source now (the webhook) and waits for the outcome. */
  public Optional<SourceView> sync(String name, String by) {
    if (!specs.containsKey(name)) {
      return Optional.empty();
    }
    return Optional.of(onGitThread(() -> fetch(name, by)));
  }

  @Override
  public void close() {
    git.shutdownNow();
  }

  private void pollDue() {
    Instant now = clock.instant();
    // Names first: a fetch writes to the store, which must not happen inside the store's forEach.
    for (String name : specs.snapshot().keySet()) {
      if (!now.isBefore(nextFetch.getOrDefault(name, Instant.MIN))) {
        try {
          fetch(name, POLLER);
        } catch (RuntimeException e) {
          LOG.warn("source {}: poll failed", name, e);
        }
      }
    }
  }

  private SourceView fetch(String name, String by) {
    Optional<SourceSpec> maybe = spec(name);
    if (maybe.isEmpty()) {
      return null;
    }
    SourceSpec spec = maybe.get();
    nextFetch.put(name, clock.instant().plus(pollInterval(spec)));
    String at = clock.instant().toString();
    SourceView view;
    try {
      Commit head = repos.fetch(spec, credentials(name));
      List<SourceView.PathStatus> bundles = new ArrayList<>();
      for (String path : spec.paths()) {
        bundles.add(offer(spec, path, head, by));
      }
      boolean failed = bundles.stream().anyMatch(b -> b.error() != null);
      view = view(spec, failed ? SourceView.FAILED : SourceView.READY,
          failed ? "some paths cannot be delivered; see bundles" : null, head, at, bundles);
    } catch (DeliveryException e) {
      view = view(spec, SourceView.FAILED, e.getMessage(), views.containsKey(name) ? views.get(name).commit() : null,
          at, views.containsKey(name) ? views.get(name).bundles() : List.of());
    }
    views.put(name, view);
    return view;
  }

  private SourceView.PathStatus offer(SourceSpec spec, String path, Commit head, String by) {
    LoadedBundle bundle = null;
    DeliveryException problem = null;
    String name;
    try {
      bundle = LoadedBundle.load(repos, spec.name(), path, head);
      name = bundle.spec().name();
    } catch (DeliveryException e) {
      problem = e;
      name = bundleNameOf(spec, path, head);
    }
    String error = engine.offer(spec.name(), path, head, name, bundle, problem, by);
    return new SourceView.PathStatus(path, name, error);
  }

  /** The name a broken bundle is reported under: its file's, if readable, else derived from the path. */
  private String bundleNameOf(SourceSpec spec, String path, Commit head) {
    try {
      String fromFile = LoadedBundle.nameOf(repos.files(spec.name(), head.id(), path).files());
      if (fromFile != null) {
        return fromFile;
      }
    } catch (DeliveryException ignored) {
      // The path itself is missing; fall back to the derived name.
    }
    String last = path.replaceAll("/+$", "").replaceAll(".*/", "");
    String derived = (spec.name() + "-" + (last.isEmpty() || last.equals(".") ? "root" : last))
        .toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
    return derived.length() > 63 ? derived.substring(0, 63) : derived;
  }

  private SourceView view(String name) {
    SourceView view = views.get(name);
    if (view != null) {
      return view;
    }
    return spec(name).map(s -> view(s, SourceView.PENDING, null, null, null, List.of())).orElse(null);
  }

  private SourceView view(SourceSpec spec, String status, String message, Commit commit, String at,
      List<SourceView.PathStatus> bundles) {
    return new SourceView(spec.name(), spec.url(), spec.refOrDefault(), spec.paths(),
        spec.pollInterval() == null ? defaultPoll.toSeconds() + "s" : spec.pollInterval(), secrets.containsKey(spec.name()),
        status, message, commit, at, bundles);
  }

  private Optional<SourceSpec> spec(String name) {
    return specs.get(name).map(bytes -> {
      try {
        return json.readValue(bytes, SourceSpec.class);
      } catch (IOException e) {
        throw new UncheckedIOException("source " + name + " could not be read from the store", e);
      }
    });
  }

  private SourceSpec.Credentials credentials(String name) {
    return secrets.get(name).map(bytes -> {
      try {
        return json.readValue(bytes, SourceSpec.Credentials.class);
      } catch (IOException e) {
        throw new UncheckedIOException("credentials of source " + name + " could not be read from the store", e);
      }
    }).orElse(null);
  }

  private Duration pollInterval(SourceSpec spec) {
    return spec.pollInterval() == null ? defaultPoll : Durations.parse(spec.pollInterval());
  }

  private static SourceSpec validate(SourceSpec.Request r) {
    if (r.name() == null || !r.name().matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
      throw new IllegalArgumentException("source name \"" + r.name()
          + "\": expected lower-case letters, digits and '-', up to 63 characters");
    }
    if (r.url() == null || r.url().isBlank()) {
      throw new IllegalArgumentException("source \"" + r.name() + "\": url is required (a local path, https:// or ssh://)");
    }
    List<String> paths = r.paths() == null || r.paths().isEmpty() ? List.of(".") : r.paths();
    for (String p : paths) {
      if (p.startsWith("/") || p.contains("..")) {
        throw new IllegalArgumentException("source \"" + r.name() + "\": path \"" + p
            + "\" must be relative to the repository root");
      }
    }
    if (r.pollInterval() != null) {
      Durations.parse(r.pollInterval());
    }
    SourceSpec.Credentials c = r.credentials();
    if (c != null && c.token() == null && c.sshPrivateKey() == null) {
      throw new IllegalArgumentException("source \"" + r.name() + "\": credentials need a token or an sshPrivateKey");
    }
    return new SourceSpec(r.name(), r.url().trim(), r.ref(), List.copyOf(paths), r.pollInterval());
  }

  private <T> T onGitThread(Callable<T> work) {
    try {
      return git.submit(work).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for Git", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    }
  }
}
