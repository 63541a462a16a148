package io.outpost.cache.objects;

import static io.outpost.cache.objects.Fixtures.CONFIGMAPS;
import static io.outpost.cache.objects.Fixtures.KUBELET;
import static io.outpost.cache.objects.Fixtures.KUBE_PROXY;
import static io.outpost.cache.objects.Fixtures.NODES;
import static io.outpost.cache.objects.Fixtures.PODS;
import static io.outpost.cache.objects.Fixtures.SERVICES;
import static io.outpost.cache.objects.Fixtures.bytes;
import static io.outpost.cache.objects.Fixtures.names;
import static io.outpost.cache.objects.Fixtures.pod;
import static io.outpost.cache.objects.Fixtures.text;
import static io.outpost.cache.objects.ObjectCache.ALL_NAMESPACES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DurableObjectCacheTest {

    @TempDir
    Path dir;

    private ObjectCache cache;

    @BeforeEach
    void openCache() {
        cache = DurableObjectCache.open(dir.resolve("objects.db"), CacheBudget.defaults());
    }

    @AfterEach
    void closeCache() {
        cache.close();
    }

    /** Pods on two nodes in two namespaces, one unscheduled, listed by the kubelet without selectors. */
    private void givenTheKubeletListedAllPods() {
        cache.replaceList(KUBELET, PODS, ALL_NAMESPACES, "500", List.of(
                pod("default", "web-0").on("node-1").labels("app", "web", "tier", "front").json(),
                pod("default", "web-1").on("node-2").labels("app", "web", "tier", "front").json(),
                pod("default", "db-0").on("node-1").labels("app", "db").phase("Pending").json(),
                pod("kube-system", "coredns-1").on("node-1").labels("k8s-app", "kube-dns").json(),
                pod("kube-system", "job-1").on("node-1").phase("Succeeded").json(),
                pod("default", "queued").on(null).phase("Pending").json()));
    }

    private ListResult list(String namespace, String labelSelector, String fieldSelector) {
        return cache.list(KUBELET, PODS, namespace, Selector.parseLabels(labelSelector), Selector.parseFields(fieldSelector));
    }

    @Test
    void givenARecordedPod_whenGet_thenTheSameJsonAndItsResourceVersionAreReturned() {
        byte[] json = pod("default", "web-0").rv("4711").json();
        assertTrue(cache.recordObject(KUBELET, PODS, "default", "web-0", json));

        CachedObject cached = cache.get(KUBELET, PODS, "default", "web-0").orElseThrow();

        assertArrayEquals(json, cached.json());
        assertEquals("4711", cached.resourceVersion());
        assertEquals("default", cached.namespace());
        assertEquals("web-0", cached.name());
    }

    @Test
    void givenNothingRecordedForTheName_whenGet_thenEmpty() {
        cache.recordObject(KUBELET, PODS, pod("default", "web-0").json());

        assertTrue(cache.get(KUBELET, PODS, "default", "web-1").isEmpty());
        assertTrue(cache.get(KUBELET, PODS, "other", "web-0").isEmpty());
        assertTrue(cache.get(KUBELET, SERVICES, "default", "web-0").isEmpty());
    }

    @Test
    void givenAnObjectRecordedForOneClient_whenAnotherClientAsks_thenItIsNotThere() {
        cache.recordObject(KUBELET, SERVICES, Fixtures.service("default", "kubernetes", "7"));
        cache.replaceList(KUBELET, SERVICES, ALL_NAMESPACES, "7", List.of(Fixtures.service("default", "kubernetes", "7")));

        assertTrue(cache.get(KUBE_PROXY, SERVICES, "default", "kubernetes").isEmpty());
        assertFalse(cache.list(ListScope.of(KUBE_PROXY, SERVICES, ALL_NAMESPACES)).found());
    }

    @Test
    void givenAPodListCachedWithoutSelector_whenListedWithNodeNameFieldSelector_thenOnlyThatNodesPodsAreReturned() {
        givenTheKubeletListedAllPods();

        ListResult result = list(ALL_NAMESPACES, null, "spec.nodeName=node-1");

        assertEquals("500", ((ListResult.Found) result).resourceVersion());
        assertEquals(List.of("default/db-0", "default/web-0", "kube-system/coredns-1", "kube-system/job-1"), names(result));
    }

    @ParameterizedTest(name = "[{index}] fieldSelector {0}")
    @CsvSource(delimiter = '|', value = {
        "spec.nodeName=node-2                           | default/web-1",
        "spec.nodeName=                                 | default/queued",
        "spec.nodeName==node-1,status.phase!=Succeeded  | default/db-0 default/web-0 kube-system/coredns-1",
        "status.phase=Pending                           | default/db-0 default/queued",
        "metadata.name=coredns-1                        | kube-system/coredns-1",
        "metadata.namespace=kube-system                 | kube-system/coredns-1 kube-system/job-1",
        "metadata.namespace!=default                    | kube-system/coredns-1 kube-system/job-1",
    })
    void givenAPodListCachedWithoutSelector_whenListedWithAFieldSelector_thenItIsAppliedAtReadTime(String selector,
                                                                                                 String expected) {
        givenTheKubeletListedAllPods();

        assertEquals(Arrays.asList(expected.split(" ")), names(list(ALL_NAMESPACES, null, selector)));
    }

    @ParameterizedTest(name = "[{index}] labelSelector {0}")
    @CsvSource(delimiter = '|', value = {
        "app=web                      | default/web-0 default/web-1",
        "app==db                      | default/db-0",
        "app!=web                     | default/db-0 default/queued kube-system/coredns-1 kube-system/job-1",
        "app in (web,db)              | default/db-0 default/web-0 default/web-1",
        "app notin (web)              | default/db-0 default/queued kube-system/coredns-1 kube-system/job-1",
        "k8s-app                      | kube-system/coredns-1",
        "!app                         | default/queued kube-system/coredns-1 kube-system/job-1",
        "app=web,tier=front           | default/web-0 default/web-1",
        "app=nothing                  | ''",
    })
    void givenAPodListCachedWithoutSelector_whenListedWithALabelSelector_thenItIsAppliedAtReadTime(String selector,
                                                                                                 String expected) {
        givenTheKubeletListedAllPods();

        List<String> expectedNames = expected.isEmpty() ? List.of() : Arrays.asList(expected.split(" "));
        assertEquals(expectedNames, names(list(ALL_NAMESPACES, selector, null)));
    }

    @Test
    void givenAnAllNamespacesList_whenOneNamespaceIsListed_thenItIsAnsweredWithThatNamespacesObjects() {
        givenTheKubeletListedAllPods();

        assertEquals(List.of("kube-system/coredns-1", "kube-system/job-1"), names(list("kube-system", null, null)));
        assertEquals(List.of("kube-system/coredns-1"), names(list("kube-system", null, "status.phase=Running")));
    }

    @Test
    void givenOnlyANamespaceList_whenAllNamespacesAreListed_thenNeverListed() {
        cache.replaceList(KUBELET, PODS, "default", "500", List.of(pod("default", "web-0").json()));

        assertInstanceOf(ListResult.NeverListed.class, list(ALL_NAMESPACES, null, null));
        assertInstanceOf(ListResult.NeverListed.class, list("kube-system", null, null));
        assertEquals(List.of("default/web-0"), names(list("default", null, null)));
    }

    @Test
    void givenNothingListed_whenListed_thenNeverListedRatherThanAnEmptyList() {
        cache.recordObject(KUBELET, PODS, pod("default", "web-0").json()); // a GET is not a list

        ListResult result = list(ALL_NAMESPACES, null, "spec.nodeName=node-1");

        assertInstanceOf(ListResult.NeverListed.class, result);
        assertFalse(result.found());
    }

    @Test
    void givenTheApiServerAnsweredAnEmptyList_whenListed_thenFoundWithNoItems() {
        cache.replaceList(KUBELET, PODS, ALL_NAMESPACES, "42", List.of());

        ListResult result = list(ALL_NAMESPACES, null, null);

        assertEquals(new ListResult.Found("42", List.of()), result);
    }

    @Test
    void givenAListFetchedWithANodeSelector_whenTheSameOrANarrowerSelectorIsAsked_thenItIsAnsweredFromIt() {
        ListScope kubeletPods = ListScope.of(KUBELET, PODS, ALL_NAMESPACES)
                .withFieldSelector(Selector.parseFields("spec.nodeName=node-1"));
        cache.replaceList(kubeletPods, "600", List.of(pod("default", "web-0").json(), pod("default", "job").phase("Failed").json()));

        assertEquals(List.of("default/job", "default/web-0"), names(cache.list(kubeletPods)));
        assertEquals(List.of("default/web-0"), names(list(ALL_NAMESPACES, null, "status.phase!=Failed,spec.nodeName=node-1")));
        assertEquals(List.of("default/web-0"), names(list("default", null, "spec.nodeName=node-1,metadata.name=web-0")));
    }

    @Test
    void givenAListFetchedWithANodeSelector_whenAWiderListIsAsked_thenNeverListedBecauseTheCacheHoldsOnlyPartOfIt() {
        cache.replaceList(ListScope.of(KUBELET, PODS, ALL_NAMESPACES)
                .withFieldSelector(Selector.parseFields("spec.nodeName=node-1")), "600", List.of(pod("default", "web-0").json()));

        assertFalse(list(ALL_NAMESPACES, null, null).found());
        assertFalse(list(ALL_NAMESPACES, null, "spec.nodeName=node-2").found());
        assertFalse(list(ALL_NAMESPACES, "app=web", null).found());
    }

    @Test
    void givenACachedList_whenTheRelistLacksPods_thenThoseAreDroppedAndNewOnesAdded() {
        givenTheKubeletListedAllPods();

        cache.replaceList(KUBELET, PODS, ALL_NAMESPACES, "900", List.of(
                pod("default", "web-0").on("node-1").rv("100").json(),
                pod("default", "web-2").on("node-1").rv("880").json()));

        assertEquals(List.of("default/web-0", "default/web-2"), names(list(ALL_NAMESPACES, null, null)));
        assertEquals("900", ((ListResult.Found) list(ALL_NAMESPACES, null, null)).resourceVersion());
        assertTrue(cache.get(KUBELET, PODS, "default", "db-0").isEmpty());
        assertEquals(2, cache.stats().entries());
    }

    @Test
    void givenAListWithASelector_whenRelisted_thenOnlyObjectsThatSelectorCoversCanBeDropped() {
        givenTheKubeletListedAllPods();
        ListScope node2 = ListScope.of(KUBELET, PODS, ALL_NAMESPACES).withFieldSelector(Selector.parseFields("spec.nodeName=node-2"));

        cache.replaceList(node2, "950", List.of()); // web-1 left node-2; nothing said about node-1

        assertEquals(List.of(), names(cache.list(node2)));
        assertEquals(5, names(list(ALL_NAMESPACES, null, null)).size());
        assertTrue(cache.get(KUBELET, PODS, "default", "web-1").isEmpty());
    }

    @Test
    void givenANamespaceList_whenRelisted_thenOtherNamespacesAreKept() {
        givenTheKubeletListedAllPods();

        cache.replaceList(KUBELET, PODS, "kube-system", "960", List.of(pod("kube-system", "coredns-1").json()));

        assertEquals(List.of("kube-system/coredns-1"), names(list("kube-system", null, null)));
        assertEquals(4, names(list("default", null, null)).size());
    }

    @Test
    void givenACachedList_whenWatchEventsAddModifyAndDelete_thenTheListReflectsThem() {
        givenTheKubeletListedAllPods();

        cache.recordObject(KUBELET, PODS, pod("default", "web-3").on("node-1").rv("501").json());           // ADDED
        cache.recordObject(KUBELET, PODS, pod("default", "db-0").on("node-1").rv("502").phase("Running").json()); // MODIFIED
        assertTrue(cache.deleteObject(KUBELET, PODS, "kube-system", "job-1"));                               // DELETED

        assertEquals(List.of("default/db-0", "default/web-0", "default/web-3", "kube-system/coredns-1"),
                names(list(ALL_NAMESPACES, null, "spec.nodeName=node-1")));
        assertEquals("502", cache.get(KUBELET, PODS, "default", "db-0").orElseThrow().resourceVersion());
        assertEquals(List.of(), names(list(ALL_NAMESPACES, "app=db", "status.phase=Pending")));
        assertFalse(cache.deleteObject(KUBELET, PODS, "kube-system", "job-1"));
    }

    @Test
    void givenClusterScopedNodes_whenTheKubeletListsItsOwnNodeByName_thenTheNodeIsReturned() {
        cache.replaceList(KUBELET, NODES, ALL_NAMESPACES, "70", List.of(Fixtures.node("node-1", "70"), Fixtures.node("node-2", "71")));

        ListResult result = cache.list(KUBELET, NODES, ALL_NAMESPACES, Selector.everything(),
                Selector.parseFields("metadata.name=node-1"));

        assertEquals(List.of("node-1"), names(result));
        assertEquals("", cache.get(KUBELET, NODES, "", "node-2").orElseThrow().namespace());
    }

    @Test
    void givenKubeProxysServiceList_whenListedWithItsHeadlessExclusion_thenHeadlessServicesAreFilteredOut() {
        cache.replaceList(KUBE_PROXY, SERVICES, ALL_NAMESPACES, "33", List.of(
                Fixtures.service("default", "kubernetes", "1", "component", "apiserver"),
                Fixtures.service("default", "db", "2", "service.kubernetes.io/headless", "")));

        ListResult result = cache.list(KUBE_PROXY, SERVICES, ALL_NAMESPACES,
                Selector.parseLabels("!service.kubernetes.io/headless,!service.kubernetes.io/service-proxy-name"),
                Selector.everything());

        assertEquals(List.of("default/kubernetes"), names(result));
    }

    @Test
    void givenJsonWhoseMetadataDisagreesWithTheKey_whenRecorded_thenRefusedAndNothingIsStored() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cache.recordObject(KUBELET, PODS, "default", "web-1", pod("default", "web-0").json()));

        assertEquals("json: an object 'default/web-0' (expected: metadata.namespace 'default' and metadata.name 'web-1')",
                e.getMessage());
        assertEquals(0, cache.stats().entries());
    }

    @Test
    void givenMalformedJson_whenRecorded_thenRefusedAndNothingIsStored() {
        assertThrows(IllegalArgumentException.class,
                () -> cache.recordObject(KUBELET, CONFIGMAPS, "default", "cm", bytes("{\"metadata\":{\"name\":\"cm\"")));

        assertTrue(cache.get(KUBELET, CONFIGMAPS, "default", "cm").isEmpty());
    }

    @Test
    void givenARelistWithAnItemFromAnotherNamespace_whenReplaced_thenRefusedAndThePreviousListIsKept() {
        cache.replaceList(KUBELET, PODS, "default", "1", List.of(pod("default", "web-0").json()));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cache.replaceList(KUBELET, PODS,
                "default", "2", List.of(pod("default", "web-1").json(), pod("other", "web-2").json())));

        assertTrue(e.getMessage().startsWith("itemsJson[1]: object other/web-2 (expected: namespace 'default'"), e.getMessage());
        assertEquals(List.of("default/web-0"), names(list("default", null, null)));
    }

    @ParameterizedTest(name = "[{index}] {0} {1}")
    @CsvSource(delimiter = '|', value = {
        "''           | /v1/pods    | client: ''",
        "kubelet      | pods        | resource: 'pods' (expected: group/version/resource",
        "kubelet      | v1/pods     | resource: 'v1/pods'",
    })
    void givenABadClientOrResource_whenUsed_thenTheMessageNamesTheArgumentAndTheExpectedForm(String client, String resource,
                                                                                            String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cache.get(client, resource, "default", "web-0"));

        assertTrue(e.getMessage().startsWith(message), e.getMessage());
    }

    @Test
    void givenAnUnknownFieldInAScopesFieldSelector_whenTheScopeIsBuilt_thenRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ListScope.of(KUBELET, PODS, "")
                .withFieldSelector(Selector.parseLabels("app=web")));

        assertTrue(e.getMessage().contains("'app' is not a supported field"), e.getMessage());
    }

    @Test
    void givenNoMemoryTier_whenObjectsAreReadAfterUpdates_thenTheyComeFromDiskAndAreCurrent() {
        cache.close();
        cache = DurableObjectCache.open(dir.resolve("cold.db"), CacheBudget.defaults().withMemoryBytes(0));
        givenTheKubeletListedAllPods();
        cache.recordObject(KUBELET, PODS, pod("default", "web-0").on("node-1").rv("777").json());

        assertEquals(4, names(list(ALL_NAMESPACES, null, "spec.nodeName=node-1")).size());
        assertEquals("777", cache.get(KUBELET, PODS, "default", "web-0").orElseThrow().resourceVersion());
        assertTrue(text(cache.get(KUBELET, PODS, "default", "web-0").orElseThrow().json()).contains("\"777\""));
    }

    @Test
    void givenAnObjectReadOnce_whenItIsUpdated_thenTheNextReadReturnsTheNewJson() {
        cache.recordObject(KUBELET, PODS, pod("default", "web-0").rv("1").json());
        cache.get(KUBELET, PODS, "default", "web-0");

        cache.recordObject(KUBELET, PODS, pod("default", "web-0").rv("2").phase("Failed").json());

        assertTrue(text(cache.get(KUBELET, PODS, "default", "web-0").orElseThrow().json()).contains("\"Failed\""));
    }

    @Test
    void givenACachedObject_whenTheRecordedOrReturnedArrayIsChanged_thenTheCacheIsNot() {
        byte[] recorded = pod("default", "web-0").json();
        cache.recordObject(KUBELET, PODS, recorded);
        recorded[0] = 'Y';
        cache.recordObject(KUBELET, PODS, pod("default", "web-0").json());

        cache.get(KUBELET, PODS, "default", "web-0").orElseThrow().json()[0] = 'X';

        assertTrue(text(cache.get(KUBELET, PODS, "default", "web-0").orElseThrow().json()).startsWith("{"));
    }

    @Test
    void givenAClosedCache_whenUsed_thenItSaysItIsClosed() {
        cache.close();
        cache.close(); // idempotent

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> cache.get(KUBELET, PODS, "default", "a"));
        assertTrue(e.getMessage().contains("is closed"), e.getMessage());
    }
}
