/**
 * The Companion reader at `/read/*`: `/read` is the episode picker, `/read/:episode/:page` the flipbook with its
 * chat and world graph. Everything the server sends is already cut at the reader's position; the UI never has
 * to hide anything, it only asks for what the position allows.
 */

import { Route, Routes } from "react-router-dom";
import { EpisodePicker } from "./EpisodePicker";
import { Reader } from "./Reader";
import "./reader.css";

export default function ReaderApp() {
  return (
    <Routes>
      <Route index element={<EpisodePicker />} />
      <Route path=":episode" element={<Reader />} />
      <Route path=":episode/:page" element={<Reader />} />
    </Routes>
  );
}
