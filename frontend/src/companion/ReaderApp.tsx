/**
 * The Companion at `/read/*`: `/read` is the shelf of comics and episodes, `/read/series/:series` one comic's page,
 * `/read/:episode/:page` the book with its chat and world graph. Everything the server sends is already cut at the reader's position; the UI never has
 * to hide anything, it only asks for what the position allows.
 */

import { Route, Routes } from "react-router-dom";
import { EpisodePicker } from "./EpisodePicker";
import { Reader } from "./Reader";
import { SeriesPage } from "./reader/SeriesPage";
import "./reader.css";

export default function ReaderApp() {
  return (
    <Routes>
      <Route index element={<EpisodePicker />} />
      <Route path="series/:series" element={<SeriesPage />} />
      <Route path=":episode" element={<Reader />} />
      <Route path=":episode/:page" element={<Reader />} />
    </Routes>
  );
}
