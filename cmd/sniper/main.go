// Command sniper watches CSGORoll's live trade feed and reports every listing.
package main

func main() {}
