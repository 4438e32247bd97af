// Go peer of benchmarks/bench_actors.py: goroutines with channels as
// mailboxes.  The bench builds it with `go build` (standard library only)
// into a temporary directory and runs it with GOMAXPROCS=1:
//
//	peer_go MEASUREMENT ARG...
//
// It prints one JSON line with the raw figures (see peers/_common.py for
// the protocol) and exits at once.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rss is the resident set size of this process in bytes, from procfs.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func seconds(t0 time.Time) float64 { return time.Since(t0).Seconds() }

// skynet: every actor spawns 10 children down to the leaves; a leaf sends
// its number to its parent, a parent sends the sum of its children's.
// The parent's mailbox holds the 10 replies without blocking a child.
func skynet(parent chan<- int64, num, size int64) {
	if size == 1 {
		parent <- num
		return
	}
	box := make(chan int64, 10)
	sub := size / 10
	for i := int64(0); i < 10; i++ {
		go skynet(box, num+i*sub, sub)
	}
	var sum int64
	for i := 0; i < 10; i++ {
		sum += <-box
	}
	parent <- sum
}

func runSkynet(leaves int64) map[string]any {
	box := make(chan int64, 1)
	t0 := time.Now()
	go skynet(box, 0, leaves)
	r := <-box
	return map[string]any{"seconds": seconds(t0), "result": r}
}

// ping-pong: the message is the sender's mailbox, the reply goes there.
func pong(box chan chan int) {
	for from := range box {
		from <- 1
	}
}

func runPingPong(n, repeat int) map[string]any {
	best := -1.0
	for r := 0; r < repeat; r++ {
		pbox := make(chan chan int, 1)
		mine := make(chan int, 1)
		go pong(pbox)
		t0 := time.Now()
		for i := 0; i < n; i++ {
			pbox <- mine
			<-mine
		}
		s := seconds(t0)
		close(pbox)
		if best < 0 || s < best {
			best = s
		}
	}
	return map[string]any{"seconds": best}
}

// park: n goroutines, each blocked receiving from its own mailbox; the
// mailboxes are kept in a slice allocated before the first RSS reading.
func runPark(n int) map[string]any {
	boxes := make([]chan int, n)
	var wg sync.WaitGroup
	wg.Add(n)
	rss0 := rss()
	t0 := time.Now()
	for i := 0; i < n; i++ {
		box := make(chan int)
		boxes[i] = box
		go func() {
			wg.Done()
			<-box
		}()
	}
	wg.Wait()
	s := seconds(t0)
	rss1 := rss()
	return map[string]any{"seconds": s, "rss_delta": rss1 - rss0, "parked": n}
}

// ring: n goroutines in a circle pass one token, decremented at each hop,
// until it reaches 0.
func runRing(n, laps int) map[string]any {
	boxes := make([]chan int, n)
	for i := range boxes {
		boxes[i] = make(chan int, 1)
	}
	done := make(chan bool)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		in, next := boxes[i], boxes[(i+1)%n]
		go func() {
			wg.Done()
			for {
				t := <-in
				if t == 0 {
					done <- true
					return
				}
				next <- t - 1
			}
		}()
	}
	wg.Wait()
	m := n * laps
	t0 := time.Now()
	boxes[0] <- m
	<-done
	return map[string]any{"seconds": seconds(t0), "messages": m}
}

// mailbox: one receiver, many senders; the receiver's mailbox is a channel
// with room for 1024 messages (a sender blocks while it is full: Go's way).
func runMailbox(senders, per int) map[string]any {
	total := senders * per
	box := make(chan int, 1024)
	done := make(chan bool)
	go func() {
		for i := 0; i < total; i++ {
			<-box
		}
		done <- true
	}()
	t0 := time.Now()
	for s := 0; s < senders; s++ {
		go func() {
			for i := 0; i < per; i++ {
				box <- i
			}
		}()
	}
	<-done
	return map[string]any{"seconds": seconds(t0), "messages": total}
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: peer_go MEASUREMENT ARG...")
		os.Exit(2)
	}
	nums := make([]int, 0, len(os.Args)-2)
	for _, a := range os.Args[2:] {
		v, err := strconv.Atoi(a)
		if err != nil {
			fmt.Fprintln(os.Stderr, "not a number:", a)
			os.Exit(2)
		}
		nums = append(nums, v)
	}
	var res map[string]any
	switch os.Args[1] {
	case "skynet":
		res = runSkynet(int64(nums[0]))
	case "pingpong":
		res = runPingPong(nums[0], nums[1])
	case "park":
		res = runPark(nums[0])
	case "ring":
		res = runRing(nums[0], nums[1])
	case "mailbox":
		res = runMailbox(nums[0], nums[1])
	default:
		fmt.Fprintln(os.Stderr, "not measured by the Go peer:", os.Args[1])
		os.Exit(2)
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	os.Exit(0)
}
