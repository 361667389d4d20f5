package io.codexrelay.events;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bus delivers in batches (one wake-up of its thread per batch); order, completeness and drain still hold. */
class EventBusTest {

    @Test
    void eventsArriveInPublishOrderAcrossBatchesAndFromInsideASubscriber() {
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        try (EventBus bus = new EventBus()) {
            bus.subscribe(RelayEvent.AccountRecovered.class, e -> {
                seen.add(e.account());
                if (e.account().equals("a-5")) bus.publish(new RelayEvent.AccountRecovered("from-subscriber"));
            });
            for (int i = 0; i < 10; i++) bus.publish(new RelayEvent.AccountRecovered("a-" + i));
            bus.drain();
            for (int i = 10; i < 20; i++) bus.publish(new RelayEvent.AccountRecovered("a-" + i));
            bus.drain();
        }
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 20; i++) expected.add("a-" + i);
        List<String> published = new ArrayList<>(seen);
        published.remove("from-subscriber");
        assertEquals(expected, published);
        // published while a-5 was being delivered: delivered after it, before the drain that followed returned
        assertTrue(seen.indexOf("from-subscriber") > seen.indexOf("a-5"), seen.toString());
        assertTrue(seen.indexOf("from-subscriber") < seen.indexOf("a-10"), seen.toString());
    }

    @Test
    void drainDeliversWhatIsWaitingForItsBatchAtOnce() {
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        try (EventBus bus = new EventBus()) {
            bus.subscribe(RelayEvent.class, e -> seen.add(e.getClass().getSimpleName()));
            bus.publish(new RelayEvent.ConfigChanged());
            bus.publish(new RelayEvent.AccountsChanged());
            bus.drain();
            assertEquals(List.of("ConfigChanged", "AccountsChanged"), seen);
        }
    }

    @Test
    void everyEventFromManyThreadsIsDeliveredOnceOnTheDispatchThread() throws Exception {
        int threads = 8, each = 2000;
        Set<String> seen = ConcurrentHashMap.newKeySet();
        Set<String> deliveredOn = ConcurrentHashMap.newKeySet();
        CountDownLatch all = new CountDownLatch(threads * each);
        try (EventBus bus = new EventBus()) {
            bus.subscribe(RelayEvent.AccountRecovered.class, e -> {
                if (seen.add(e.account())) all.countDown();
                deliveredOn.add(Thread.currentThread().getName());
            });
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                Thread th = new Thread(() -> {
                    for (int i = 0; i < each; i++) bus.publish(new RelayEvent.AccountRecovered(id + "-" + i));
                });
                ts.add(th);
                th.start();
            }
            for (Thread th : ts) th.join();
            // without drain: the batches arrive by themselves
            assertTrue(all.await(30, TimeUnit.SECONDS), "delivered " + seen.size() + " of " + threads * each);
        }
        assertEquals(threads * each, seen.size());
        assertEquals(Set.of("relay-events"), deliveredOn);
    }
}
