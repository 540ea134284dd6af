package lowprio

import (
	"runtime"
	"testing"
)

func TestLowerLowersTheCallingThreadOnly(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("only Linux sets a thread's priority")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before, err := Current()
	if err != nil {
		t.Fatal(err)
	}
	if before == Lowest {
		t.Skip("the test runs at the lowest priority already: nothing to tell apart")
	}
	lowered := make(chan int)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := Lower(); err != nil {
			t.Error(err)
		}
		nice, _ := Current()
		lowered <- nice
	}()
	if got := <-lowered; got != Lowest {
		t.Errorf("nice %d after Lower, want %d", got, Lowest)
	}
	if mine, err := Current(); err != nil || mine != before {
		t.Errorf("this thread's nice is %d (%v), was %d: Lower changed another thread's", mine, err, before)
	}
}
