class GPTConfig:
    block_size: int = 1024


class Other(object):
    pass
