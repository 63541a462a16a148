package io.outpost.hub.api;

import io.micronaut.context.annotation.Requires;
import io.micronaut.http.HttpHeaders;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Produces;
import io.outpost.hub.join.HubPki;
import io.outpost.hub.registry.ClusterRegistry;
import io.outpost.tunnel.pki.Pem;

/** Hands the calling user a kubeconfig with one context per member cluster, through this hub. */
@Controller("/api/v1/kubeconfig")
@Requires(beans = ClusterRegistry.class)
public class KubeconfigController {

  private final ClusterRegistry registry;
  private final HubPki pki;
  private final HubUrl hubUrl;

  public KubeconfigController(ClusterRegistry registry, HubPki pki, HubUrl hubUrl) {
    this.registry = registry;
    this.pki = pki;
    this.hubUrl = hubUrl;
  }

  @Get
  @Produces("application/yaml")
  String kubeconfig(HttpRequest<?> request) {
    // The filter has authenticated this bearer token; the kubeconfig carries the same one.
    String token = request.getHeaders().get(HttpHeaders.AUTHORIZATION).substring(7).trim();
    return Kubeconfigs.render(hubUrl.get(), Pem.encode(pki.ca().certificate()), token, registry.list());
  }
}
