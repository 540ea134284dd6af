module github.com/rollsniper/rollsniper

go 1.26.0

require (
	github.com/coder/websocket v1.8.15
	github.com/joho/godotenv v1.5.1
	github.com/lmittmann/tint v1.2.1
	go.uber.org/goleak v1.3.0
	golang.org/x/sync v0.25.0
)
