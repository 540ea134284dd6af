package actors

import (
	"bytes"
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/rollsniper/rollsniper/internal/journal"
	"github.com/rollsniper/rollsniper/messages"
)

// BenchmarkRecorder is the recorder's cost a frame of the feedbench burst's
// size (four trades' worth, about 6 KB): the tap, the queue, and the stored
// segment's write, sync and rotation, on a journal in a temporary directory.
func BenchmarkRecorder(b *testing.B) {
	frames := make([]messages.Frame, 1000)
	for i := range frames {
		data := fmt.Appendf(nil, `{"id":"1","type":"next","payload":{"data":{"createTrades":{"trades":[%d`, i)
		data = append(data, bytes.Repeat([]byte(`,"markupPercent":12.04,"totalValue":16.62,"tradeItems":[{"marketName":"M4A1-S"}]`), 75)...)
		frames[i] = messages.Frame{Data: data, ReceivedAt: recT0.Add(time.Duration(i) * time.Millisecond), Session: 1}
	}
	b.SetBytes(int64(len(frames[0].Data)))
	w, err := journal.NewWriter(b.TempDir(), journal.Options{Store: true})
	if err != nil {
		b.Fatal(err)
	}
	rec := NewRecorder(RecorderConfig{Writer: w, MaxBytes: 256 << 20})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rec.Run(ctx) }()
	go func() {
		for range rec.Closed() {
		}
	}()
	tap := rec.Tap(1)
	cpu0 := processCPU()
	for i := 0; b.Loop(); i++ {
		tap.Frame(frames[i%len(frames)])
		if i%4096 == 4095 {
			for rec.Stats().Queued > 0 {
				time.Sleep(10 * time.Microsecond)
			}
		}
	}
	cancel()
	<-done
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/frame")
	if s := rec.Stats(); s.Dropped > 0 {
		b.Fatalf("dropped %d", s.Dropped)
	}
}

// processCPU is the user and system CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
