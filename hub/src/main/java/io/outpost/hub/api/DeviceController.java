package io.outpost.hub.api;

import io.micronaut.context.annotation.Requires;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Consumes;
import io.micronaut.http.annotation.Controller;
import io.micronaut.scheduling.TaskExecutors;
import io.micronaut.scheduling.annotation.ExecuteOn;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Put;
import io.micronaut.http.annotation.QueryValue;
import io.micronaut.json.JsonMapper;
import io.outpost.devices.DeviceIds;
import io.outpost.hub.devices.DeviceDetail;
import io.outpost.hub.devices.DeviceRecord;
import io.outpost.hub.devices.DeviceRegistry;
import io.outpost.hub.devices.DevicesService;
import io.outpost.hub.devices.HubDevicesSettings;
import io.outpost.hub.gateway.KubeStatus;
import io.outpost.hub.registry.ClusterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * REST API of the device registry: list ({@code ?cluster=}), get by cluster and id or by id alone,
 * and set a device's desired state (any JSON), which is pushed to the cluster's agent now or when
 * it reconnects.
 */
@Controller("/api/v1/devices")
@ExecuteOn(TaskExecutors.BLOCKING) // store commits (fsync) must not run on the event loop
@Requires(beans = DeviceRegistry.class)
public class DeviceController {

  private final DeviceRegistry devices;
  private final DevicesService service;
  private final ClusterRegistry clusters;
  private final JsonMapper json;
  private final HubDevicesSettings settings;

  public DeviceController(DeviceRegistry devices, DevicesService service, ClusterRegistry clusters, JsonMapper json,
      HubDevicesSettings settings) {
    this.devices = devices;
    this.service = service;
    this.clusters = clusters;
    this.json = json;
    this.settings = settings;
  }

  @Get
  List<DeviceRecord> list(@Nullable @QueryValue String cluster) {
    return devices.list(Optional.ofNullable(cluster));
  }

  /** The device {@code id} in whichever cluster has it; 409 if several do. */
  @Get("/{id}")
  HttpResponse<?> getById(String id) {
    List<DeviceRecord> found = devices.list(Optional.empty()).stream().filter(d -> d.device().equals(id)).toList();
    if (found.isEmpty()) {
      return KubeStatus.response(404, "device \"" + id + "\" is not known at this hub");
    }
    if (found.size() > 1) {
      return KubeStatus.response(409, "device \"" + id + "\" exists in clusters "
          + found.stream().map(DeviceRecord::cluster).toList() + ": name the cluster (--cluster)");
    }
    return HttpResponse.ok(detail(found.get(0)));
  }

  @Get("/{cluster}/{id}")
  HttpResponse<?> get(String cluster, String id) {
    return devices.get(cluster, id).<HttpResponse<?>>map(d -> HttpResponse.ok(detail(d)))
        .orElseGet(() -> KubeStatus.response(404, "device \"" + id + "\" of cluster \"" + cluster
            + "\" is not known at this hub"));
  }

  /** Sets the desired state (a JSON document) of a device; creates the device's record if needed. */
  @Put("/{cluster}/{id}/desired")
  @Consumes(MediaType.APPLICATION_JSON)
  HttpResponse<?> setDesired(String cluster, String id, @Body String body) {
    Optional<String> problem = DeviceIds.problem(id);
    if (problem.isPresent()) {
      return KubeStatus.response(400, problem.get());
    }
    if (clusters.get(cluster).isEmpty()) {
      return KubeStatus.response(404, "cluster \"" + cluster + "\" is not registered at this hub");
    }
    if (body.getBytes(StandardCharsets.UTF_8).length > settings.getMaxDesiredBytes()) {
      return KubeStatus.response(413, "desired state of device \"" + id + "\" is over the limit of "
          + settings.getMaxDesiredBytes() + " bytes");
    }
    try {
      json.readValue(body, Object.class);
    } catch (IOException | RuntimeException e) {
      return KubeStatus.response(400, "desired state of device \"" + id + "\" is not valid JSON: " + e.getMessage());
    }
    DeviceRecord record = devices.setDesired(cluster, id, body);
    service.push(cluster, record);
    return HttpResponse.ok(record);
  }

  private DeviceDetail detail(DeviceRecord record) {
    return new DeviceDetail(record, devices.recent(record.cluster(), record.device()));
  }
}
