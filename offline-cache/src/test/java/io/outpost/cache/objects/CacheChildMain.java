package io.outpost.cache.objects;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Child process for {@link DurableObjectCacheCrashTest}: writes to a cache until killed, printing one
 * line after each write returned (so the parent knows what was committed): {@code list G} after
 * relist generation G, {@code object NAME} after recording config map NAME.
 */
public final class CacheChildMain {

    static final ListScope NODE_1_PODS = ListScope.of(Fixtures.KUBELET, Fixtures.PODS, ObjectCache.ALL_NAMESPACES)
            .withFieldSelector(Selector.parseFields("spec.nodeName=node-1"));

    private CacheChildMain() {
    }

    /** Relist generation {@code g}: 20 + g % 13 pods, every one at resourceVersion {@code g<g>}. */
    static List<byte[]> generation(int g) {
        List<byte[]> pods = new ArrayList<>();
        for (int i = 0; i < 20 + g % 13; i++) {
            pods.add(Fixtures.pod("default", "pod-" + i).rv("g" + g).labels("app", "web").json());
        }
        return pods;
    }

    public static void main(String[] args) {
        try (ObjectCache cache = DurableObjectCache.open(Path.of(args[0]), CacheBudget.defaults())) {
            String round = args[1];
            for (int g = 1; ; g++) {
                cache.replaceList(NODE_1_PODS, "g" + g, generation(g));
                System.out.println("list " + g);
                String name = round + "-cm-" + g;
                cache.recordObject(Fixtures.KUBELET, Fixtures.CONFIGMAPS, Fixtures.configMap("default", name, 200));
                System.out.println("object " + name);
                System.out.flush();
            }
        }
    }
}
