// goprobe: the bench's compiled baseline for siak_monitor. It GETs every region's health
// URL on a fixed interval with Go's net/http (standard library only, so it builds offline)
// and prints one JSON line when its time is up: the regions, the probes by outcome and the
// CPU it used.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// maxConcurrentProbes matches siak_monitor's default: as many probes in flight, and
// connections kept, as the monitor allows.
const maxConcurrentProbes = 64

// bodyLimit matches siak_monitor: only the start of an answer is read.
const bodyLimit = 64 * 1024

type tally struct {
	sync.Mutex
	ok, failed int
}

func (t *tally) add(ok bool) {
	t.Lock()
	defer t.Unlock()
	if ok {
		t.ok++
	} else {
		t.failed++
	}
}

func probe(client *http.Client, url string) bool {
	response, err := client.Get(url)
	if err != nil {
		return false
	}
	// Reading the (small) rest lets the connection be kept for the next probe.
	_, _ = io.Copy(io.Discard, io.LimitReader(response.Body, bodyLimit))
	response.Body.Close()
	return response.StatusCode == http.StatusOK
}

func probeForever(ctx context.Context, client *http.Client, url string, interval time.Duration,
	slots chan struct{}, counts *tally) {
	// Spread the first probes over one interval, as siak_monitor does.
	select {
	case <-ctx.Done():
		return
	case <-time.After(rand.N(interval)):
	}
	for {
		started := time.Now()
		slots <- struct{}{}
		counts.add(probe(client, url))
		<-slots
		select {
		case <-ctx.Done():
			return
		case <-time.After(max(0, interval-time.Since(started))):
		}
	}
}

func cpuSeconds() float64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return 0
	}
	seconds := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return seconds(usage.Utime) + seconds(usage.Stime)
}

func main() {
	template := flag.String("url-template", "", "health URL with {region}")
	regions := flag.String("regions", "", "region codes, comma-separated")
	interval := flag.Duration("interval", 5*time.Second, "probe interval")
	timeout := flag.Duration("timeout", 3*time.Second, "one probe, connection to last byte")
	duration := flag.Duration("duration", 0, "how long to run")
	flag.Parse()
	if *template == "" || *regions == "" || *duration <= 0 {
		fmt.Fprintln(os.Stderr, "goprobe: -url-template, -regions and -duration are required")
		os.Exit(2)
	}
	transport := &http.Transport{
		MaxIdleConns:        maxConcurrentProbes + 1,
		MaxIdleConnsPerHost: maxConcurrentProbes + 1,
		MaxConnsPerHost:     maxConcurrentProbes + 1,
	}
	client := &http.Client{Transport: transport, Timeout: *timeout}
	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	slots := make(chan struct{}, maxConcurrentProbes)
	counts := &tally{}
	codes := strings.Split(*regions, ",")
	var running sync.WaitGroup
	for _, code := range codes {
		url := strings.ReplaceAll(*template, "{region}", code)
		running.Go(func() { probeForever(ctx, client, url, *interval, slots, counts) })
	}
	running.Wait()
	counts.Lock()
	defer counts.Unlock()
	result := map[string]any{
		"regions": len(codes),
		"probes":  map[string]int{"ok": counts.ok, "failed": counts.failed},
		"cpu_s":   cpuSeconds(),
	}
	if err := json.NewEncoder(os.Stdout).Encode(result); err != nil {
		os.Exit(1)
	}
}
