module siakgate/bench/goprobe

go 1.26
