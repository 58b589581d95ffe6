module dartio.bench/peers

go 1.19
