module calico-ts/cni-shim

go 1.19
