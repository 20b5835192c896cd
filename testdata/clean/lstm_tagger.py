"""A BiLSTM sequence tagger, written the way the PyTorch NLP tutorials and AllenNLP-style taggers
write it: embeddings (optionally with char-CNN features), packed variable-length batches through
nn.LSTM, a tag projection, and a masked cross-entropy loss."""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class CharCNN(nn.Module):
    """Character-level word features: embed characters, convolve, max-pool over the word."""

    def __init__(self, num_chars: int, char_dim: int = 30, out_dim: int = 50, kernel_size: int = 3):
        super().__init__()
        self.char_embedding = nn.Embedding(num_chars, char_dim, padding_idx=0)
        self.conv = nn.Conv1d(char_dim, out_dim, kernel_size, padding=kernel_size // 2)

    def forward(self, chars: torch.Tensor) -> torch.Tensor:
        # chars: (batch, seq_len, word_len)
        b, t, w = chars.shape
        x = self.char_embedding(chars.view(b * t, w))  # (b*t, w, char_dim)
        x = self.conv(x.transpose(1, 2))  # (b*t, out_dim, w)
        x, _ = torch.max(F.relu(x), dim=2)
        return x.view(b, t, -1)


class LSTMTagger(nn.Module):
    def __init__(self, vocab_size: int, tagset_size: int, embedding_dim: int = 100, hidden_dim: int = 256,
                 num_chars: int = 100, char_out_dim: int = 50, num_layers: int = 2, dropout: float = 0.5,
                 pad_idx: int = 0):
        super().__init__()
        self.hidden_dim = hidden_dim
        self.pad_idx = pad_idx
        self.word_embeddings = nn.Embedding(vocab_size, embedding_dim, padding_idx=pad_idx)
        self.char_cnn = CharCNN(num_chars, out_dim=char_out_dim)
        self.dropout = nn.Dropout(dropout)

        # The LSTM takes word embeddings as inputs, and outputs hidden states with dimensionality hidden_dim.
        self.lstm = nn.LSTM(embedding_dim + char_out_dim, hidden_dim // 2, num_layers=num_layers,
                            bidirectional=True, batch_first=True, dropout=dropout if num_layers > 1 else 0.0)

        # The linear layer that maps from hidden state space to tag space
        self.hidden2tag = nn.Linear(hidden_dim, tagset_size)

    def forward(self, sentence: torch.Tensor, chars: torch.Tensor, lengths: torch.Tensor,
                tags: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        embeds = torch.cat([self.word_embeddings(sentence), self.char_cnn(chars)], dim=-1)
        embeds = self.dropout(embeds)

        packed = pack_padded_sequence(embeds, lengths.cpu(), batch_first=True, enforce_sorted=False)
        packed_out, (h_n, c_n) = self.lstm(packed)
        lstm_out, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=sentence.size(1))

        tag_space = self.hidden2tag(self.dropout(lstm_out))
        tag_scores = F.log_softmax(tag_space, dim=-1)

        loss = None
        if tags is not None:
            mask = sentence != self.pad_idx
            loss = F.nll_loss(tag_scores[mask], tags[mask])
        return tag_scores, loss
