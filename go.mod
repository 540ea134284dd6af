module github.com/rollsniper/rollsniper

go 1.26

require (
	github.com/coder/websocket v1.8.15 // indirect
	github.com/joho/godotenv v1.5.1 // indirect
	github.com/lmittmann/tint v1.2.1 // indirect
	go.uber.org/goleak v1.3.0 // indirect
	golang.org/x/sync v0.25.0 // indirect
)
